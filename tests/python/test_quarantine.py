"""Bad input: every malformed row ends in quarantine with its reason, conflicting
duplicates are kept there, identical retries count once, and reconciliation
(raw = staged + duplicates + quarantined) holds."""
from datetime import datetime, timedelta

import pytest

from classifier_monitor.contract import append_rows

T0 = datetime(2026, 2, 1, 10, 0)


def good(event_id: str, **overrides) -> dict:
    row = {"event_id": event_id, "event_time": T0, "ingested_at": T0 + timedelta(seconds=5), "model_name": "m",
           "model_version": "v1", "predicted_class": "a", "predicted_score": 0.9,
           "class_scores": '{"a": 0.9, "b": 0.1}', "latency_ms": 20.0, "is_error": False,
           "region": "eu", "device": "mobile", "channel": "web"}
    row.update(overrides)
    return row


INFERENCE_CASES = {
    "missing_event_id": good(None),
    "missing_model_name": good("q2", model_name=None),
    "missing_model_version": good("q3", model_version="  "),
    "missing_predicted_class": good("q4", predicted_class=None),
    "missing_event_time": good("q5", event_time=None),
    "missing_ingested_at": good("q6", ingested_at=None),
    "predicted_score_out_of_range": good("q7", predicted_score=1.7),
    "invalid_latency_ms": good("q8", latency_ms=-3.0),
    "invalid_class_scores": good("q9", class_scores='{"a": 0.9, "b"'),
    "event_time_in_future": good("q10", event_time=T0 + timedelta(days=2)),
}

LABEL_CASES = {
    "missing_event_id": {"event_id": None, "label": "a", "labeled_at": T0, "ingested_at": T0},
    "missing_label": {"event_id": "ok1", "label": None, "labeled_at": T0, "ingested_at": T0},
    "missing_labeled_at": {"event_id": "ok1", "label": "a", "labeled_at": None, "ingested_at": T0},
    "missing_ingested_at": {"event_id": "ok1", "label": "a", "labeled_at": T0, "ingested_at": None},
    "labeled_at_in_future": {"event_id": "ok1", "label": "b", "labeled_at": T0 + timedelta(days=3), "ingested_at": T0},
}


@pytest.fixture
def loaded(pipeline):
    with pipeline.connect() as con:
        append_rows(con, "inference_events", list(INFERENCE_CASES.values()) + [
            good("ok1"), good("ok2"),
            good("ok1", ingested_at=T0 + timedelta(minutes=1)),                        # identical retry
            good("ok2", ingested_at=T0 + timedelta(minutes=2), predicted_class="b"),   # conflicting duplicate
        ])
        append_rows(con, "label_events", list(LABEL_CASES.values()) + [
            {"event_id": "ok1", "label": "a", "labeled_at": T0 + timedelta(hours=1), "ingested_at": T0 + timedelta(hours=1)},
        ])
    pipeline.build()
    return pipeline


def test_each_malformed_inference_is_quarantined_with_its_reason(loaded):
    with loaded.connect() as con:
        rows = con.execute("select coalesce(event_id, '(null)'), reason from staging.stg_inference_quarantine").fetchall()
    reasons = {reason for _, reason in rows}
    assert reasons == set(INFERENCE_CASES) | {"conflicting_duplicate"}
    assert ("ok2", "conflicting_duplicate") in rows


def test_each_malformed_label_is_quarantined_with_its_reason(loaded):
    with loaded.connect() as con:
        reasons = [r for (r,) in con.execute("select reason from staging.stg_label_quarantine").fetchall()]
    assert sorted(reasons) == sorted(LABEL_CASES)


def test_retries_count_once_and_reconciliation_holds(loaded):
    with loaded.connect() as con:
        rec = {row[0]: row[1:] for row in con.execute(
            "select input_table, raw_rows, staged_rows, duplicate_rows, quarantined_rows, unaccounted_rows "
            "from marts.fct_ingestion_reconciliation").fetchall()}
        metrics = con.execute("select n_predictions, n_labeled from marts.fct_model_metrics_hourly "
                              "where slice_name = 'all'").fetchall()
    assert rec["inference_events"] == (14, 2, 1, 11, 0)
    assert rec["label_events"] == (6, 1, 0, 5, 0)
    assert metrics == [(2, 1)]


def test_a_value_that_cannot_be_cast_is_quarantined_and_kept_verbatim(pipeline):
    with pipeline.connect() as con:
        con.execute("drop table raw.inference_events")
        con.execute("create table raw.inference_events (event_id varchar, event_time varchar, ingested_at timestamp, "
                    "model_name varchar, model_version varchar, predicted_class varchar, predicted_score varchar, "
                    "class_scores varchar, latency_ms double, is_error boolean, region varchar, device varchar, "
                    "channel varchar, amount double, account_age_days double, session_seconds double, "
                    "basket_size double, discount_pct double, browser varchar, payment_method varchar, referrer varchar)")
        con.execute("insert into raw.inference_events (event_id, event_time, ingested_at, model_name, model_version, "
                    "predicted_class, predicted_score) values "
                    "('x1', 'yesterday-ish', timestamp '2026-02-01 10:00', 'm', 'v1', 'a', '0.5'), "
                    "('x2', '2026-02-01 09:59:00', timestamp '2026-02-01 10:00', 'm', 'v1', 'a', 'high'), "
                    "('x3', '2026-02-01 09:59:00', timestamp '2026-02-01 10:00', 'm', 'v1', 'a', '0.25')")
    pipeline.build()
    with pipeline.connect() as con:
        rows = dict(con.execute("select event_id, reason from staging.stg_inference_quarantine").fetchall())
        kept = con.execute("select _raw_json from staging.stg_inference_quarantine where event_id = 'x1'").fetchone()[0]
        accepted = con.execute("select event_id, predicted_score from staging.stg_inference_events").fetchall()
    assert rows == {"x1": "missing_event_time", "x2": "predicted_score_out_of_range"}
    assert "yesterday-ish" in kept
    assert accepted == [("x3", 0.25)]
