"""The quality gates inside `dbt build`: a failing critical gate stops the run
before the rollups (which stay exactly as they were) with a message naming the
rule, the table, the observed value and offending rows; warnings are recorded
and do not stop it; every result lands in fct_quality_gate_results; a run with
nothing new records nothing; quarantined rows re-admitted after a config fix
end in the rollups."""
from datetime import datetime, timedelta

import pandas as pd

from classifier_monitor.contract import append_rows

T0 = datetime(2026, 3, 1, 10)
SUITE_SIZES = {"inference_batch": 14, "label_batch": 10, "rollup_reconciliation": 2}
EXCLUDED_FROM_SNAPSHOT = {"marts.fct_quality_gate_results"}  # the log: a failing run must add to it


def inference(i, *, at=T0, **overrides):
    row = {"event_id": f"e{i:03d}", "event_time": at + timedelta(minutes=i), "ingested_at": at + timedelta(minutes=i + 1),
           "model_name": "m", "model_version": "v1", "predicted_class": ["books", "toys"][i % 2],
           "predicted_score": 0.7, "class_scores": None, "latency_ms": 10.0, "is_error": False,
           "region": ["eu", "us"][i % 2], "device": "mobile", "channel": "web"}
    row.update(overrides)
    return row


def label(i, *, at=T0, **overrides):
    row = {"event_id": f"e{i:03d}", "label": ["books", "toys", "home"][i % 3],
           "labeled_at": at + timedelta(hours=1, minutes=i), "ingested_at": at + timedelta(hours=1, minutes=i + 1),
           "label_source": "review"}
    row.update(overrides)
    return row


def arrive(pipe, inferences=(), labels=()):
    with pipe.connect() as con:
        append_rows(con, "inference_events", list(inferences))
        append_rows(con, "label_events", list(labels))


def gate_results(pipe) -> pd.DataFrame:
    with pipe.connect() as con:
        return con.execute("select * from marts.fct_quality_gate_results order by validated_at, suite, expectation").df()


def protected_state(pipe) -> dict:
    """Every table the batch gates protect: the marts' tables (the results log aside) and the
    intermediate state the rollups are computed from - all columns, watermarks included."""
    with pipe.connect() as con:
        tables = [f"{schema}.{name}" for schema, name in con.execute("""
            select table_schema, table_name from information_schema.tables
            where table_type = 'BASE TABLE' and (table_schema = 'marts'
                or (table_schema = 'intermediate' and table_name not like 'int_quality_gate_%'))
        """).fetchall()]
        return {table: con.execute(f"select * from {table} order by all").df()
                for table in tables if table not in EXCLUDED_FROM_SNAPSHOT}


def assert_same(before: dict, after: dict):
    assert before.keys() == after.keys()
    for table in before:
        pd.testing.assert_frame_equal(before[table], after[table], obj=table)


def test_a_clean_batch_passes_and_every_result_is_recorded(pipeline):
    arrive(pipeline, [inference(i) for i in range(10)], [label(i) for i in range(8)])
    pipeline.build()
    results = gate_results(pipeline)
    assert results.groupby("suite").size().to_dict() == SUITE_SIZES
    assert results["success"].all() and results["run_id"].nunique() == 1
    inference_rows = results[results.suite == "inference_batch"]
    assert (inference_rows.dropna(subset=["batch_rows"])["batch_rows"] == 10).all()
    assert inference_rows["batch_start"].min() == T0 and inference_rows["batch_end"].max() == T0 + timedelta(minutes=9)

    # nothing new: the second build validates nothing and records nothing; a full refresh keeps the log
    state = protected_state(pipeline)
    pipeline.build()
    pipeline.build(full_refresh=True)
    pd.testing.assert_frame_equal(gate_results(pipeline), results)
    rollups = {table: frame for table, frame in protected_state(pipeline).items() if table.startswith("marts.")}
    for table, frame in rollups.items():
        keep = [c for c in frame if not c.startswith("_")]
        pd.testing.assert_frame_equal(frame[keep], state[table][keep], obj=table)


def test_a_warning_is_recorded_and_a_failing_critical_gate_stops_the_build_leaving_the_rollups_untouched(pipeline):
    arrive(pipeline, [inference(i) for i in range(10)], [label(i) for i in range(8)] + [label(8, label="unicorns")])
    assert pipeline.build().success
    results = gate_results(pipeline).set_index("expectation")
    warning = results.loc["label_in_class_catalog"]
    assert warning.severity == "warning" and not warning.success and warning.unexpected_count == 1
    assert '"label": "unicorns"' in warning.sample_rows
    assert results.drop(index="label_in_class_catalog")["success"].all()
    with pipeline.connect() as con:
        assert con.execute("select sum(n) from marts.fct_confusion_matrix_hourly "
                           "where slice_name = 'all' and actual_class = 'unicorns'").fetchone()[0] == 1

    # then a batch that breaks a critical rule arrives
    before = protected_state(pipeline)
    later = T0 + timedelta(hours=12)
    arrive(pipeline, [inference(i, at=later) for i in range(10, 20)] +
           [inference(i, at=later, model_version="v1 hotfix") for i in range(20, 23)],
           [label(i, at=later) for i in range(10, 23)])
    for attempt in range(2):  # the batch is validated again on the next run until it is fixed
        build = pipeline.build(check=False)
        assert not build.success
        message = "\n".join(build.messages)
        assert "Quality gate failed: 1 critical expectation(s)" in message
        assert "[critical] inference_batch.model_version_well_formed on staging.stg_inference_rows" in message
        # the batch: the 13 new rows only; the 10 earlier ones are within the ingestion
        # lookback, but all their raw rows are staged already, so they are not re-judged
        assert "observed 3 of 13 rows unexpected" in message
        assert '"event_id": "e020"' in message and '"model_version": "v1 hotfix"' in message
        assert_same(before, protected_state(pipeline))

    results = gate_results(pipeline)
    failures = results[~results.success & (results.severity == "critical")]
    assert len(failures) == 2 and set(failures.expectation) == {"model_version_well_formed"}
    assert failures.run_id.nunique() == 2
    assert (failures.unexpected_count == 3).all() and (failures.table_name == "staging.stg_inference_rows").all()

    # the fix is a configuration change here: the versions are legitimate, so the rule becomes a warning
    pipeline.build(vars={"quality_gate_severity": {"model_version_well_formed": "warning"}})
    with pipeline.connect() as con:
        versions = con.execute("select model_version, n_predictions from marts.fct_model_metrics_hourly "
                               "where slice_name = 'all' and hour = ?", [later.replace(minute=0)]).fetchall()
    assert sorted(versions) == [("v1", 10), ("v1 hotfix", 3)]
    last = gate_results(pipeline).query("expectation == 'model_version_well_formed'").iloc[-1]
    assert last.severity == "warning" and not last.success


def test_readmitted_quarantined_rows_end_in_the_rollups(pipeline):
    strict = {"max_clock_skew_minutes": 0}
    # six events whose clocks run 2 minutes ahead of the ingestion clock: "in the future" with no skew allowed
    ahead = [inference(i, event_time=T0 + timedelta(minutes=i + 2), ingested_at=T0 + timedelta(minutes=i))
             for i in range(6)]
    later = T0 + timedelta(hours=12)  # rows this much later put the first ones out of the ingestion lookback
    arrive(pipeline, ahead + [inference(i) for i in range(6, 10)] + [inference(i, at=later) for i in range(10, 14)],
           [label(i) for i in range(10)] + [label(i, at=later) for i in range(10, 14)])
    pipeline.build(vars=strict)
    pipeline.build()  # raising the skew back alone does not re-judge the old quarantined rows
    with pipeline.connect() as con:
        assert con.execute("select count(*) from staging.stg_inference_quarantine "
                           "where reason = 'event_time_in_future'").fetchone()[0] == 6
        assert con.execute("select n_predictions from marts.fct_model_metrics_hourly where slice_name = 'all' "
                           "and hour = ?", [T0]).fetchone()[0] == 4

    pipeline.build(vars={"readmit_quarantined": "event_time_in_future"})

    with pipeline.connect() as con:
        assert con.execute("select count(*) from staging.stg_inference_quarantine").fetchone()[0] == 0
        confusion = con.execute("""select actual_class, predicted_class, n from marts.fct_confusion_matrix_hourly
                                   where slice_name = 'all' and hour = ?""", [T0]).df()
        metrics = con.execute("select n_predictions, n_labeled from marts.fct_model_metrics_hourly "
                              "where slice_name = 'all' and hour = ?", [T0]).fetchone()
    rows = pd.DataFrame(ahead + [inference(i) for i in range(6, 10)]).merge(
        pd.DataFrame([label(i) for i in range(10)]), on="event_id")
    expected = rows.groupby(["label", "predicted_class"]).size()
    actual = confusion.set_index(["actual_class", "predicted_class"])["n"]
    assert actual.sort_index().to_dict() == {key: n for key, n in expected.sort_index().items()}
    assert metrics == (10, 10)
    results = gate_results(pipeline)
    readmission = results[results.run_id == results.run_id.iloc[-1]]
    assert set(readmission.suite) == {"inference_batch", "label_batch", "rollup_reconciliation"}
    assert readmission.success.all()


def test_a_failing_reconciliation_fails_the_build_and_is_recorded(pipeline):
    arrive(pipeline, [inference(i) for i in range(6)], [label(i) for i in range(6)])
    pipeline.build()
    with pipeline.connect() as con:  # a raw row disappears after it was staged (deleted by hand)
        con.execute("delete from raw.inference_events where event_id = 'e000'")
    # the dbt tests on the marts check the same invariants and would stop the run before the gate
    build = pipeline.dbt("build", "--exclude", "assert_every_raw_row_is_accounted_for",
                         "assert_confusion_matrix_sums_to_labeled_counts", check=False)
    assert not build.success
    message = "\n".join(build.messages)
    assert "[critical] rollup_reconciliation.raw_rows_accounted_for on marts.fct_ingestion_reconciliation" in message
    assert '"input_table": "inference_events"' in message and '"unaccounted_rows": -1' in message
    failure = gate_results(pipeline).query("not success")
    assert list(failure.expectation) == ["raw_rows_accounted_for"] and failure.severity.iloc[0] == "critical"
