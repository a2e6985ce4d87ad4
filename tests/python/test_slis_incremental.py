"""Incremental SLI builds equal a full refresh on generated traffic, which the
property test's hand-made rows do not cover: class_scores (Brier terms),
label corrections that move labeled_at (label-delay buckets), inferences that
land hours late, and label maturity moving with the data: the last build only
receives one new inference two days later, so the hours it matures change for
no other reason."""
from __future__ import annotations

from datetime import timedelta

from classifier_monitor.contract import append_rows
from classifier_monitor.generator import MODEL_NAME, GeneratorConfig, deliver, generate
from classifier_monitor.pipeline import Pipeline
from snapshots import assert_same_state, snapshot

TABLES = [
    "marts.fct_slis_hourly", "marts.fct_slis_daily", "marts.fct_latency_histogram_hourly",
    "marts.fct_calibration_hourly", "marts.fct_label_delay_histogram_hourly", "marts.fct_slo_status",
]
# a short SLA and compliance window, so maturity flips and windows slide between the builds
VARS = {
    "label_delay_sla_hours": 12,
    # the changed hours stay subqueries here (the other incremental tests take
    # the default, literal lists), so both forms are proven equal to a full refresh
    "changed_hours_inline_limit": 0,
    "slos": [
        {"name": "availability", "sli": "error_rate", "objective": 0.99, "window_days": 1, "slices": ["all", "region"]},
        {"name": "latency", "sli": "latency_under_ms", "threshold_ms": 80, "objective": 0.9, "window_days": 1,
         "slices": ["all", "device"]},
        {"name": "accuracy", "sli": "accuracy", "objective": 0.7, "window_days": 1, "slices": ["all", "region"]},
        {"name": "recall_books", "sli": "class_recall", "class": "books", "objective": 0.6, "window_days": 1},
    ],
}


def test_incremental_sli_builds_equal_a_full_refresh(tmp_path, dbt_work_dir):
    pipe = Pipeline(tmp_path / "w.duckdb", work_dir=dbt_work_dir)
    cfg = GeneratorConfig(n_inferences=4_000, days=3, drift_start_day=2, seed=11)
    with pipe.connect() as con:
        generate(con, cfg)
    previous = None
    for cutoff in (cfg.start + timedelta(hours=30), cfg.start + timedelta(hours=55), cfg.end + timedelta(hours=6)):
        with pipe.connect() as con:
            deliver(con, since=previous, until=cutoff)
        previous = cutoff
        pipe.build(vars=VARS)
    # the clock moves on: labels of the last day mature, nothing else about them changes
    later = cfg.end + timedelta(days=2)
    with pipe.connect() as con:
        append_rows(con, "inference_events", [{
            "event_id": "evt-clock", "event_time": later - timedelta(minutes=1), "ingested_at": later,
            "model_name": MODEL_NAME, "model_version": "v2", "predicted_class": "books", "predicted_score": 0.5,
            "latency_ms": 40.0, "is_error": False, "region": "us-east", "device": "mobile", "channel": "web"}])
    pipe.build(vars=VARS)
    with pipe.connect() as con:
        incremental = snapshot(con, TABLES)
        assert len(incremental["marts.fct_slo_status"]) > 0 and incremental["marts.fct_slis_hourly"]["n_brier"].sum() > 0
    pipe.build(full_refresh=True, vars=VARS)
    with pipe.connect() as con:
        assert_same_state(incremental, snapshot(con, TABLES))
