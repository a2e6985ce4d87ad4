"""Every expectation of every suite, on crafted batches, through the gate
functions the dbt models call: a batch that breaks exactly that rule fails it
with the suite's severity and a message that names the rule, the table, the
observed value and the offending rows; a clean batch passes everything.
(End-to-end behaviour inside `dbt build` is in test_quality_gates_dbt.py.)"""
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from classifier_monitor.gates import runner
from classifier_monitor.gates.results import PUBLIC_COLUMNS, RESULT_COLUMNS
from classifier_monitor.gates.suite import SuiteError, load_suite, read_suite_file, suite_names
from classifier_monitor.generator import CLASSES
from gate_batches import (CONFUSION, INFERENCE_ROWS, INGESTION, LABEL_ROWS, METRICS, STAGED_AT, T0, hourly_key,
                          inference_row, label_row, make_table, raw_tables)

ROOT = Path(__file__).resolve().parents[2]
N = 20  # rows per crafted batch: one bad row is 5%, above every default rate
STRICT = runner.Settings(min_batch_rows=0)  # judge rates even on tiny batches


class Row(dict):
    """A result row; columns as attributes."""
    __getattr__ = dict.__getitem__


def results(relation) -> dict:
    return {row["expectation"]: Row(row) for row in relation.df().to_dict("records")}


def failed(rows: dict) -> set:
    return {name for name, row in rows.items() if not row.success}


# --- inference batch ---------------------------------------------------------------------------

def run_inference(rows, settings=STRICT, log=None, **raw):
    con = duckdb.connect()
    raw_tables(con, **raw)
    make_table(con, "stg_inference_rows", INFERENCE_ROWS, rows)
    return results(runner.run_inference_batch_gate(
        con, staged="stg_inference_rows", source="raw.inference_events", log=log, settings=settings, run_id="r"))


def clean_inferences():
    return [inference_row(i) for i in range(N)]


def with_bad_inference(**overrides):
    rows = clean_inferences()
    rows[3] = inference_row(3, **overrides)
    return rows


INFERENCE_VIOLATIONS = {
    "event_id_not_null": dict(rows=with_bad_inference(event_id=None, status="quarantined", reason="missing_event_id",
                                                      _event_key="(missing event_id)")),
    "ingested_at_not_null": dict(rows=with_bad_inference(ingested_at=None, status="quarantined")),
    "event_time_not_null": dict(rows=with_bad_inference(event_time=None, status="quarantined")),
    "model_name_not_null": dict(rows=with_bad_inference(model_name=None, status="quarantined")),
    "model_version_not_null": dict(rows=with_bad_inference(model_version=None, status="quarantined")),
    "predicted_class_not_null": dict(rows=with_bad_inference(predicted_class=None, status="quarantined")),
    "predicted_score_in_unit_interval": dict(rows=with_bad_inference(predicted_score=1.5, status="quarantined")),
    "class_scores_sum_to_one": dict(rows=with_bad_inference(class_scores='{"books": 0.8, "toys": 0.4}')),
    "event_time_not_in_future": dict(rows=with_bad_inference(event_time=T0 + timedelta(minutes=10),
                                                             ingested_at=T0 + timedelta(minutes=4))),
    "event_time_after_epoch": dict(rows=with_bad_inference(event_time=datetime(1970, 1, 1),
                                                           ingested_at=datetime(1970, 1, 1, 0, 1))),
    "model_version_well_formed": dict(rows=with_bad_inference(model_version="v 1")),
    "duplicate_rate": dict(rows=clean_inferences() + [
        inference_row(1, status="duplicate", ingested_at=T0 + timedelta(hours=1)),
        inference_row(2, status="quarantined", reason="conflicting_duplicate", predicted_class="toys")]),
    "contract_columns_present": dict(rows=clean_inferences(), drop_inference_column="predicted_class",
                                     also=("no_unknown_columns",)),
    "no_unknown_columns": dict(rows=clean_inferences(), extra_inference_column="debug_payload"),
}


def test_a_clean_inference_batch_passes_every_expectation():
    rows = run_inference(clean_inferences())
    suite = load_suite("inference_batch", runner.gate_params(STRICT))
    assert set(rows) == {e.name for e in suite.expectations}
    assert failed(rows) == set()


@pytest.mark.parametrize("expectation", sorted(INFERENCE_VIOLATIONS))
def test_each_inference_expectation_fails_on_a_batch_that_breaks_it(expectation):
    case = dict(INFERENCE_VIOLATIONS[expectation])
    also = set(case.pop("also", ()))
    rows = run_inference(case.pop("rows"), **case)
    assert failed(rows) == {expectation} | also
    assert_reported(rows[expectation], "inference_batch")


# --- label batch -------------------------------------------------------------------------------

def run_labels(labels, inferences=None, settings=STRICT, log=None, **raw):
    con = duckdb.connect()
    raw_tables(con, **raw)
    make_table(con, "stg_label_rows", LABEL_ROWS, labels)
    make_table(con, "stg_inference_rows", INFERENCE_ROWS,
               inferences if inferences is not None else [inference_row(i) for i in range(N)])
    return results(runner.run_label_batch_gate(
        con, labels="stg_label_rows", inferences="stg_inference_rows", source="raw.label_events",
        known_classes=CLASSES, log=log, settings=settings, run_id="r"))


def clean_labels():
    return [label_row(i) for i in range(N)]


def with_bad_label(**overrides):
    rows = clean_labels()
    rows[3] = label_row(3, **overrides)
    return rows


def corrected(i):
    """Event i labeled 'toys' first, then corrected to 'books'."""
    return [label_row(i, status="superseded", label="toys", labeled_at=T0 + timedelta(minutes=30), _content_hash=900 + i),
            label_row(i)]


LABEL_VIOLATIONS = {
    "event_id_not_null": dict(labels=with_bad_label(event_id=None, _event_key="(missing event_id)",
                                                    status="quarantined", reason="missing_event_id")),
    "ingested_at_not_null": dict(labels=with_bad_label(ingested_at=None, status="quarantined")),
    "label_not_null": dict(labels=with_bad_label(label=None, status="quarantined")),
    "labeled_at_not_null": dict(labels=with_bad_label(labeled_at=None, status="quarantined")),
    "labeled_at_not_in_future": dict(labels=with_bad_label(labeled_at=T0 + timedelta(hours=2),
                                                           ingested_at=T0 + timedelta(hours=1))),
    "label_in_class_catalog": dict(labels=with_bad_label(label="unicorns")),
    "labeled_at_not_before_event_time": dict(labels=with_bad_label(labeled_at=T0 - timedelta(hours=1))),
    "correction_rate": dict(labels=clean_labels()[2:] + corrected(0) + corrected(1)),
    "contract_columns_present": dict(labels=clean_labels(), drop_label_column="labeled_at",
                                     also=("no_unknown_columns",)),
    "no_unknown_columns": dict(labels=clean_labels(), extra_label_column="reviewer"),
}


def test_a_clean_label_batch_passes_every_expectation():
    rows = run_labels(clean_labels() + corrected(N))  # one correction in 22 valid rows: under 5%
    suite = load_suite("label_batch", runner.gate_params(STRICT, CLASSES))
    assert set(rows) == {e.name for e in suite.expectations}
    assert failed(rows) == set()
    assert rows["correction_rate"].unexpected_count == 1


@pytest.mark.parametrize("expectation", sorted(LABEL_VIOLATIONS))
def test_each_label_expectation_fails_on_a_batch_that_breaks_it(expectation):
    case = dict(LABEL_VIOLATIONS[expectation])
    also = set(case.pop("also", ()))
    rows = run_labels(case.pop("labels"), **case)
    assert failed(rows) == {expectation} | also
    assert_reported(rows[expectation], "label_batch")


def test_a_label_that_waited_for_its_inference_is_judged_again_when_the_inference_arrives():
    con = log_of([("earlier", True)], suite="label_batch")  # passed, staged through STAGED_AT
    raw_tables(con)
    # the label was staged (and validated) before its inference landed with a later event_time
    make_table(con, "stg_label_rows", LABEL_ROWS, [label_row(0, labeled_at=T0 - timedelta(hours=1))])
    make_table(con, "stg_inference_rows", INFERENCE_ROWS,
               [inference_row(0, _staged_at=STAGED_AT + timedelta(hours=1))])
    rows = results(runner.run_label_batch_gate(
        con, labels="stg_label_rows", inferences="stg_inference_rows", source="raw.label_events",
        known_classes=CLASSES, log="gate_log", settings=STRICT, run_id="r"))
    assert rows["labeled_at_not_before_event_time"].batch_rows == 1
    assert failed(rows) == {"labeled_at_not_before_event_time"}


# --- rollup reconciliation ---------------------------------------------------------------------

def run_reconciliation(confusion, metrics, ingestion, log=None, settings=STRICT):
    con = duckdb.connect()
    make_table(con, "confusion", CONFUSION, confusion)
    make_table(con, "metrics", METRICS, metrics)
    make_table(con, "ingestion", INGESTION, ingestion)
    return results(runner.run_rollup_reconciliation_gate(
        con, confusion="confusion", metrics="metrics", ingestion="ingestion", log=log, settings=settings,
        run_id="r"))


def reconciled_marts():
    confusion = [dict(hourly_key(), actual_class="books", predicted_class="books", n=3, _batch_id=1),
                 dict(hourly_key(), actual_class="toys", predicted_class="books", n=1, _batch_id=1),
                 dict(hourly_key("region", "eu"), actual_class="books", predicted_class="books", n=3, _batch_id=1)]
    metrics = [dict(hourly_key(), n_labeled=4, _batch_id=1), dict(hourly_key("region", "eu"), n_labeled=3, _batch_id=1)]
    ingestion = [dict(input_table="inference_events", raw_rows=5, staged_rows=4, duplicate_rows=1,
                      quarantined_rows=0, unaccounted_rows=0),
                 dict(input_table="label_events", raw_rows=4, staged_rows=4, duplicate_rows=0,
                      quarantined_rows=0, unaccounted_rows=0)]
    return confusion, metrics, ingestion


def test_reconciled_rollups_pass():
    rows = run_reconciliation(*reconciled_marts())
    assert set(rows) == {"confusion_matrix_sums_to_labeled_count", "raw_rows_accounted_for"}
    assert failed(rows) == set()
    assert rows["confusion_matrix_sums_to_labeled_count"].batch_rows == 2


def test_a_confusion_matrix_that_does_not_sum_to_the_labeled_count_fails():
    confusion, metrics, ingestion = reconciled_marts()
    metrics[1]["n_labeled"] = 4
    rows = run_reconciliation(confusion, metrics, ingestion)
    assert failed(rows) == {"confusion_matrix_sums_to_labeled_count"}
    row = assert_reported(rows["confusion_matrix_sums_to_labeled_count"], "rollup_reconciliation")
    assert '"slice_value": "eu"' in row.message and '"confusion_n": 3' in row.message


def test_a_key_missing_on_one_side_counts_as_zero():
    confusion, metrics, ingestion = reconciled_marts()
    rows = run_reconciliation(confusion, metrics[:1], ingestion)
    assert failed(rows) == {"confusion_matrix_sums_to_labeled_count"}


def test_unaccounted_raw_rows_fail():
    confusion, metrics, ingestion = reconciled_marts()
    ingestion[0].update(raw_rows=6, unaccounted_rows=1)
    rows = run_reconciliation(confusion, metrics, ingestion)
    assert failed(rows) == {"raw_rows_accounted_for"}
    assert '"input_table": "inference_events"' in assert_reported(rows["raw_rows_accounted_for"],
                                                                  "rollup_reconciliation").message


# --- the message, rates, severities, watermarks ------------------------------------------------

def assert_reported(row, suite):
    """A failed result carries the suite's severity and a message naming the rule, the table,
    the observed value and the offending rows."""
    spec = next(s for s in read_suite_file(suite)["expectations"] if s["meta"]["name"] == row.expectation)
    assert row.severity == spec["meta"]["severity"]
    assert row.expectation_type == spec["type"]
    assert row.message.startswith(f"[{row.severity}] {suite}.{row.expectation} on {row.table_name}: {spec['type']}(")
    assert f"observed {row.observed_value}" in row.message
    if row.element_count is not None and row.table_name.startswith("stg_"):
        assert row.unexpected_count >= 1 and "offending rows: {" in row.message
        assert re.search(r'"event_id": ("e\d{4}"|null)', row.message)
    return row


def test_rates_are_judged_at_the_threshold():
    def batch(n_bad, n=200):
        return [inference_row(i, predicted_score=1.5 if i < n_bad else 0.8) for i in range(n)]

    assert run_inference(batch(2))["predicted_score_in_unit_interval"].success      # 1.0% <= 1%
    at_two = run_inference(batch(3))["predicted_score_in_unit_interval"]            # 1.5% > 1%
    assert not at_two.success and at_two.unexpected_rate == pytest.approx(0.015)
    assert at_two.allowed_unexpected_rate == pytest.approx(0.01)


def test_a_batch_below_the_minimum_is_recorded_but_not_judged_on_rates():
    rows = run_inference(with_bad_inference(predicted_score=1.5, model_version="v 1"),
                         settings=runner.Settings(min_batch_rows=N + 1))
    score = rows["predicted_score_in_unit_interval"]
    assert score.success and score.unexpected_count == 1 and score.allowed_unexpected_rate == 1.0
    assert not rows["model_version_well_formed"].success  # zero-tolerance rules do not depend on size


def test_severity_overrides():
    settings = runner.Settings(min_batch_rows=0, severity={"model_version_well_formed": "warning",
                                                           "inference_batch.duplicate_rate": "off"})
    rows = run_inference(with_bad_inference(model_version="v 1"), settings=settings)
    assert rows["model_version_well_formed"].severity == "warning"
    assert "duplicate_rate" not in rows
    with pytest.raises(SuiteError, match="no expectation"):
        load_suite("inference_batch", runner.gate_params(STRICT), {"model_versoin_well_formed": "warning"})
    with pytest.raises(SuiteError, match="critical, warning or off"):
        load_suite("inference_batch", runner.gate_params(STRICT), {"duplicate_rate": "fatal"})


def test_thresholds_come_from_the_settings():
    rows = run_inference(with_bad_inference(model_version="release candidate"),
                         settings=runner.Settings(min_batch_rows=0, model_version_regex=r"^[a-z ]+$"))
    assert not rows["model_version_well_formed"].success  # 'v1' no longer matches
    relaxed = runner.Settings(min_batch_rows=0, max_invalid_rate=0.10)
    assert run_inference(with_bad_inference(predicted_score=1.5), settings=relaxed)[
        "predicted_score_in_unit_interval"].success


def log_of(rows_by_run: list[tuple[str, bool]], suite="inference_batch"):
    """A gate log holding runs (run_id, passed) of one suite, newest last; run k staged through
    STAGED_AT + k hours."""
    con = duckdb.connect()
    columns = ", ".join(f"cast(null as {kind}) as {name}" for name, kind in RESULT_COLUMNS.items())
    con.execute(f"create table gate_log as select {columns} where false")
    for k, (run_id, passed) in enumerate(rows_by_run):
        con.execute("insert into gate_log (run_id, suite, severity, success, validated_at, _staged_through, "
                    "_table_rows) values (?, ?, 'critical', ?, ?, ?, ?)",
                    [run_id, suite, passed, T0 + timedelta(hours=k), STAGED_AT + timedelta(hours=k), 100 + k])
    return con


def test_the_watermark_is_the_last_passed_run():
    con = log_of([("first", True), ("second", True), ("third", False)])
    previous = runner.last_passed_run(con, "gate_log", "inference_batch")
    assert previous.staged_through == STAGED_AT + timedelta(hours=1) and previous.table_rows == 101
    assert runner.last_passed_run(con, "gate_log", "label_batch") is None


def test_only_rows_staged_after_the_last_passed_run_are_validated():
    con = log_of([("first", True)])
    raw_tables(con)
    old = [inference_row(i, model_version="v 1") for i in range(3)]  # validated (and let through) before
    new = [inference_row(i, _staged_at=STAGED_AT + timedelta(hours=1)) for i in range(3, 8)]
    make_table(con, "stg_inference_rows", INFERENCE_ROWS, old + new)
    rows = results(runner.run_inference_batch_gate(con, staged="stg_inference_rows", source="raw.inference_events",
                                                   log="gate_log", settings=STRICT, run_id="r"))
    assert failed(rows) == set() and rows["model_version_well_formed"].batch_rows == 5
    assert rows["model_version_well_formed"]._staged_after == STAGED_AT
    assert rows["model_version_well_formed"]._table_rows == 8


def test_nothing_new_records_nothing():
    con = log_of([("first", True)])
    raw_tables(con)
    make_table(con, "stg_inference_rows", INFERENCE_ROWS,
               [inference_row(i, _staged_at=STAGED_AT + timedelta(hours=5)) for i in range(100)])
    gate = dict(staged="stg_inference_rows", source="raw.inference_events", log="gate_log", run_id="r")
    assert len(runner.run_inference_batch_gate(con, settings=STRICT, **gate)) == 0  # re-staged, same 100 rows
    rejudging = runner.Settings(min_batch_rows=0, rejudging=True)  # readmit_quarantined / backfill
    assert len(runner.run_inference_batch_gate(con, settings=rejudging, **gate)) > 0
    assert len(runner.run_inference_batch_gate(con, settings=runner.Settings(enabled=False), **gate)) == 0


# --- the suite files themselves ----------------------------------------------------------------

def test_every_suite_file_loads_and_names_its_expectations():
    import great_expectations.expectations.registry as registry

    assert suite_names() == ["inference_batch", "label_batch", "rollup_reconciliation"]
    for name in suite_names():
        suite = load_suite(name, runner.gate_params(runner.Settings(), CLASSES))
        assert suite.version >= 1 and suite.description
        for e in suite.expectations:
            assert e.severity in ("critical", "warning") and e.target in suite.targets
            registry.get_expectation_impl(e.type)  # a real GX expectation


def test_the_results_columns_match_the_dbt_macro():
    macro = (ROOT / "macros/quality_gates/cm_quality_gate_results.sql").read_text()
    listed = re.search(r"return\(\[(.*?)\]\)", macro, re.S).group(1)
    assert re.findall(r"'(\w+)'", listed) == list(PUBLIC_COLUMNS)
    assert all(column.startswith("_") for column in set(RESULT_COLUMNS) - set(PUBLIC_COLUMNS))


def test_settings_from_rendered_dbt_vars():
    settings = runner.Settings.from_config({
        "enabled": "True", "min_batch_rows": 10, "event_time_epoch": "2001-02-03 00:00:00",
        "slice_columns": "region, device", "readmit_quarantined": "all", "backfill_start": None, "severity": {}})
    assert settings.enabled and settings.min_batch_rows == 10 and settings.event_time_epoch == datetime(2001, 2, 3)
    assert settings.slice_columns == ("region", "device") and settings.rejudging
    assert not runner.Settings.from_config({"enabled": "False", "readmit_quarantined": False}).enabled
    assert not runner.Settings.from_config({"readmit_quarantined": False}).rejudging
    assert runner.Settings.from_config({"event_time_epoch": date(1999, 1, 2)}).event_time_epoch == datetime(1999, 1, 2)
