"""Late labels update exactly the hours their events belong to; a backfill
recomputes exactly the hours of its window."""
from datetime import datetime, timedelta

import pytest

from classifier_monitor.contract import append_rows

T0 = datetime(2026, 4, 1)


def inference(i: int, hour: int) -> dict:
    at = T0 + timedelta(hours=hour, minutes=i % 50)
    return {"event_id": f"e{i}", "event_time": at, "ingested_at": at + timedelta(seconds=1), "model_name": "m",
            "model_version": "v1", "predicted_class": "ab"[i % 2], "predicted_score": 0.8,
            "region": ["eu", "us"][i % 3 == 0], "device": "mobile", "channel": "web"}


def label(i: int, cls: str, at: datetime) -> dict:
    return {"event_id": f"e{i}", "label": cls, "labeled_at": at, "ingested_at": at + timedelta(seconds=1)}


def hourly(con):
    return {row[:4]: row[4:] for row in con.execute(
        "select hour, model_version, slice_name, slice_value, n_predictions, n_labeled, n_correct, accuracy "
        "from marts.fct_model_metrics_hourly").fetchall()}


@pytest.fixture
def month(pipeline):
    """30 days x 4 events, half labeled on arrival."""
    events = [inference(i, hour=(i // 4) * 6) for i in range(480)]
    with pipeline.connect() as con:
        append_rows(con, "inference_events", events)
        append_rows(con, "label_events", [label(i, "ab"[i % 2], events[i]["event_time"]) for i in range(0, 480, 2)])
    pipeline.build()
    return pipeline, events


def test_late_labels_change_their_hours_and_nothing_else(month):
    pipeline, events = month
    with pipeline.connect() as con:
        before = hourly(con)
    now = T0 + timedelta(days=40)
    late = [label(1, "a", now), label(3, "b", now), label(401, "b", now),   # first labels, weeks late
            label(0, "b", now)]                                            # a correction
    with pipeline.connect() as con:
        append_rows(con, "label_events", late)
    pipeline.build()
    with pipeline.connect() as con:
        after = hourly(con)
    changed = {key[0] for key in before if before[key] != after.get(key)}
    assert changed == {events[0]["event_time"].replace(minute=0), events[401]["event_time"].replace(minute=0)}
    assert set(before) == set(after)


def test_backfill_recomputes_its_window_only(month):
    pipeline, events = month
    with pipeline.connect() as con:
        truth = hourly(con)
        # damage the counts inside and outside the window, as a bad manual edit would
        con.execute("update intermediate.int_prediction_counts_hourly set n = n + 7 "
                    "where hour in (timestamp '2026-04-03 00:00', timestamp '2026-04-20 00:00')")
        con.execute("update marts.fct_model_metrics_hourly set n_predictions = -1 "
                    "where hour in (timestamp '2026-04-03 00:00', timestamp '2026-04-20 00:00')")
    pipeline.build(vars={"backfill_start": "2026-04-02 00:00:00", "backfill_end": "2026-04-05 00:00:00"})
    with pipeline.connect() as con:
        repaired = hourly(con)
    inside = {key for key in truth if key[0] == datetime(2026, 4, 3)}
    outside = {key for key in truth if key[0] == datetime(2026, 4, 20)}
    assert inside and outside
    assert all(repaired[key] == truth[key] for key in inside)
    assert all(repaired[key][0] == -1 for key in outside)
    # the rest is untouched
    assert all(repaired[key] == truth[key] for key in truth if key[0] not in (datetime(2026, 4, 3), datetime(2026, 4, 20)))


def test_a_backfill_of_an_intact_window_changes_nothing(month):
    pipeline, _ = month
    with pipeline.connect() as con:
        before = hourly(con)
    pipeline.build(vars={"backfill_start": "2026-04-01 00:00:00", "backfill_end": "2026-05-01 00:00:00"})
    with pipeline.connect() as con:
        assert hourly(con) == before


def _staged_since(con, moment) -> dict[str, set[str]]:
    return {table: {row[0] for row in con.execute(
        f"select event_id from staging.{table} where _staged_at > ?", [moment]).fetchall()}
        for table in ("stg_inference_rows", "stg_label_rows")}


def test_a_run_re_judges_only_the_event_ids_with_raw_rows_not_staged_yet(month):
    pipeline, events = month
    with pipeline.connect() as con:
        first = con.execute("select max(_staged_at) from staging.stg_inference_rows").fetchone()[0]
    # nothing new: the ingestion lookback holds the newest rows, but they are all staged
    pipeline.build()
    with pipeline.connect() as con:
        assert _staged_since(con, first) == {"stg_inference_rows": set(), "stg_label_rows": set()}
        second = con.execute("select now()::timestamp").fetchone()[0]
    # a retry of the last event but one, landing out of order (ingested before the newest staged row,
    # within the lookback), and a label for an event of the first day: only those two event_ids are re-judged
    newest = events[-2]
    retry = dict(newest, ingested_at=newest["ingested_at"] + timedelta(seconds=1))
    assert retry["ingested_at"] < events[-1]["ingested_at"]
    with pipeline.connect() as con:
        append_rows(con, "inference_events", [retry])
        append_rows(con, "label_events", [label(1, "a", T0 + timedelta(days=31))])
    pipeline.build()
    with pipeline.connect() as con:
        assert _staged_since(con, second) == {"stg_inference_rows": {newest["event_id"]},
                                             "stg_label_rows": {"e1"}}
        assert con.execute("select status from staging.stg_inference_rows where event_id = ? order by ingested_at",
                           [newest["event_id"]]).fetchall() == [("accepted",), ("duplicate",)]


def model_metrics(con):
    return sorted(con.execute(
        "select hour, model_version, slice_name, slice_value, n_predictions, n_labeled, n_correct, accuracy, "
        "macro_precision, macro_recall, macro_f1, weighted_f1, label_coverage "
        "from marts.fct_model_metrics_hourly").fetchall())


def test_model_metrics_built_without_a_current_class_mart_equal_a_full_build(month):
    """fct_model_metrics_hourly takes the per-class metrics of its macro averages
    from fct_class_metrics_hourly only when that mart has consumed the same
    counts; built without it, it computes them from the counts itself."""
    pipeline, _ = month
    now = T0 + timedelta(days=40)
    with pipeline.connect() as con:
        append_rows(con, "label_events", [label(1, "a", now), label(0, "b", now), label(5, "a", now),
                                          label(7, "b", now)])
    pipeline.dbt("build", "--select", "+fct_model_metrics_hourly", "--exclude", "fct_class_metrics_hourly")
    with pipeline.connect() as con:
        stale, newest = con.execute(
            "select (select max(_batch_id) from marts.fct_class_metrics_hourly), "
            "(select max(_batch_id) from intermediate.int_prediction_counts_hourly)").fetchone()
        assert stale < newest          # the class mart did not see the late labels
        incremental = model_metrics(con)
    pipeline.build(full_refresh=True)
    with pipeline.connect() as con:
        assert model_metrics(con) == incremental


def newest_rows(con, table: str, columns: str) -> set:
    return set(con.execute(
        f"select {columns} from marts.{table} where _batch_id = (select max(_batch_id) from marts.{table})").fetchall())


def test_a_late_label_rewrites_only_the_cells_and_groups_it_changed(month):
    """The count marts recompute keys, not hours: a late label rewrites the two
    confusion cells it moves (per slice group) and the metric rows of the groups
    it falls in; another group of the same hour keeps its rows untouched."""
    pipeline, events = month
    hour = events[1]["event_time"].replace(minute=0)       # e1: predicted b, region eu, no label yet
    with pipeline.connect() as con:
        append_rows(con, "label_events", [label(1, "a", T0 + timedelta(days=40))])
    pipeline.build()
    groups = {("all", "all"), ("region", "eu"), ("device", "mobile"), ("channel", "web")}
    with pipeline.connect() as con:
        cells = newest_rows(con, "fct_confusion_matrix_hourly", "hour, slice_name, slice_value, actual_class, predicted_class")
        class_rows = newest_rows(con, "fct_class_metrics_hourly", "hour, slice_name, slice_value")
        model_rows = newest_rows(con, "fct_model_metrics_hourly", "hour, slice_name, slice_value")
        untouched = con.execute(
            "select count(*), max(_batch_id) < (select max(_batch_id) from marts.fct_class_metrics_hourly) "
            "from marts.fct_class_metrics_hourly where hour = ? and slice_name = 'region' and slice_value = 'us'",
            [hour]).fetchone()
    assert cells == {(hour, name, value, "a", "b") for name, value in groups}
    assert class_rows == model_rows == {(hour, name, value) for name, value in groups}
    assert untouched[0] > 0 and untouched[1]   # region us of the same hour: its rows are the first build's


def test_marts_recompute_everything_when_their_counts_were_rebuilt_alone(month):
    """Rebuilding the state log and the counts without the marts restarts the
    batch ids below what the marts consumed: the next build recomputes every
    key of the marts, which then equal a full build."""
    pipeline, _ = month
    now = T0 + timedelta(days=40)
    with pipeline.connect() as con:
        append_rows(con, "label_events", [label(1, "a", now), label(3, "b", now)])
    pipeline.build()                                       # the marts consume batch 2
    with pipeline.connect() as con:
        append_rows(con, "label_events", [label(0, "b", now), label(5, "b", now)])
    pipeline.dbt("run", "--full-refresh", "--select", "+int_prediction_counts_hourly")   # batch 1 again
    pipeline.dbt("run", "--select", "int_prediction_counts_hourly+,marts")
    tables = ("fct_confusion_matrix_hourly", "fct_class_metrics_hourly", "fct_predicted_class_hourly")
    with pipeline.connect() as con:
        incremental = [sorted(con.execute(f"select * exclude (_batch_id) from marts.{t}").fetchall()) for t in tables]
        metrics = model_metrics(con)
    pipeline.build(full_refresh=True)
    with pipeline.connect() as con:
        assert [sorted(con.execute(f"select * exclude (_batch_id) from marts.{t}").fetchall()) for t in tables] == incremental
        assert model_metrics(con) == metrics
