"""The scheduler's selectors (selectors.yml): `hourly` and `daily` split the
project in two disjoint parts that together cover it, and running `hourly`
after every arrival with `daily` only once at the end ends in exactly the state
of one full refresh: the drift models catch up on every hourly run they missed."""
from __future__ import annotations

import json
from datetime import timedelta

from classifier_monitor.generator import GeneratorConfig, deliver, generate
from classifier_monitor.pipeline import PROJECT_DIR, Pipeline
from snapshots import COMPARED_TABLES, assert_same_state, snapshot

DRIFT_MODELS = {"int_drift_window_log", "int_drift_numeric_cells", "int_drift_numeric_samples",
                "int_drift_numeric_buckets", "int_drift_numeric_bins", "int_drift_category_counts",
                "int_drift_categorical_comparison", "fct_feature_drift"}


def _listed(pipe: Pipeline, selector: str | None) -> set[str]:
    """unique_ids of the nodes `dbt ls` picks with a selector (every node without one)."""
    from dbt.cli.main import dbtRunner

    args = ["ls", "--output", "json", "--output-keys", "unique_id",
            "--resource-type", "model", "--resource-type", "test", "--resource-type", "seed",
            "--resource-type", "unit_test",
            "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR / "profiles"),
            "--target-path", str(pipe.work_dir / "target"), "--log-path", str(pipe.work_dir / "logs"), "--quiet"]
    if selector:
        args += ["--selector", selector]
    pipe._env()
    result = dbtRunner().invoke(args)
    assert result.success, result.exception
    return {json.loads(line)["unique_id"] for line in result.result}


def test_hourly_and_daily_partition_the_project(tmp_path, dbt_work_dir):
    pipe = Pipeline(tmp_path / "w.duckdb", work_dir=dbt_work_dir)
    everything, hourly, daily = _listed(pipe, None), _listed(pipe, "hourly"), _listed(pipe, "daily")
    assert hourly.isdisjoint(daily)
    assert hourly | daily == everything
    daily_models = {uid.split(".")[-1] for uid in daily if uid.startswith("model.")}
    assert daily_models == DRIFT_MODELS
    assert any(uid.startswith("test.") for uid in daily), "the drift models' tests run with them"


def test_hourly_runs_then_one_daily_run_equal_a_full_refresh(tmp_path, dbt_work_dir):
    pipe = Pipeline(tmp_path / "w.duckdb", work_dir=dbt_work_dir)
    cfg = GeneratorConfig(n_inferences=3_000, days=4, drift_start_day=2, seed=5)
    with pipe.connect() as con:
        generate(con, cfg)
    previous = None
    # the first daily run sees only the first day; then three hourly-only runs
    for step, cutoff in enumerate((cfg.start + timedelta(hours=26), cfg.start + timedelta(hours=50),
                                   cfg.start + timedelta(hours=80), cfg.end + timedelta(days=3))):
        with pipe.connect() as con:
            deliver(con, since=previous, until=cutoff)
        previous = cutoff
        built = pipe.build(selector="hourly")
        assert not DRIFT_MODELS & set(built.model_seconds), "the hourly part leaves drift alone"
        if step == 0:
            pipe.build(selector="daily")
    daily = pipe.build(selector="daily")
    assert DRIFT_MODELS <= set(daily.model_seconds)
    assert "int_prediction_counts_hourly" not in daily.model_seconds
    with pipe.connect() as con:
        incremental = snapshot(con, COMPARED_TABLES)
        windows = con.execute("select count(distinct window_start) from marts.fct_feature_drift").fetchone()[0]
    assert windows >= 4, "the catch-up run computed the windows of every missed day"
    pipe.build(full_refresh=True)
    with pipe.connect() as con:
        assert_same_state(incremental, snapshot(con, COMPARED_TABLES))
