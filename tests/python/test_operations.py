"""What a scheduler relies on: overlapping runs fail fast and change nothing."""
import subprocess
import sys
import time

import pytest

from classifier_monitor.contract import append_rows
from classifier_monitor.pipeline import EXIT_LOCKED, PROJECT_DIR

HOLD_LOCK = """
import sys, time
from classifier_monitor.pipeline import run_lock
with run_lock(sys.argv[1]):
    print('locked', flush=True)
    time.sleep(60)
"""


def test_a_second_run_fails_fast_with_a_clear_message_and_changes_nothing(pipeline):
    with pipeline.connect() as con:
        append_rows(con, "inference_events", [{"event_id": "e1", "event_time": "2026-01-01 10:00:00",
                                               "ingested_at": "2026-01-01 10:00:01", "model_name": "m",
                                               "model_version": "v1", "predicted_class": "a"}])
    env = {"PYTHONPATH": str(PROJECT_DIR / "python")}
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, pipeline.db_path], stdout=subprocess.PIPE,
                              text=True, env={**__import__("os").environ, **env})
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.perf_counter()
        second = subprocess.run([sys.executable, "-m", "classifier_monitor", "build", "--db", pipeline.db_path],
                                capture_output=True, text=True, env={**__import__("os").environ, **env})
        elapsed = time.perf_counter() - started
    finally:
        holder.kill()
        holder.wait()
    assert second.returncode == EXIT_LOCKED
    assert "another classifier_monitor run is in progress" in second.stderr and "changed nothing" in second.stderr
    assert elapsed < 30  # start-up included; it does not wait for the holder
    with pipeline.connect() as con:
        schemas = {row[0] for row in con.execute("select schema_name from information_schema.schemata").fetchall()}
    assert "marts" not in schemas  # nothing was built
    pipeline.build()                # and the next run does everything
    with pipeline.connect() as con:
        assert con.execute("select n_predictions from marts.fct_model_metrics_hourly "
                           "where slice_name = 'all'").fetchall() == [(1,)]


def _freshness(pipeline) -> dict[str, str]:
    """`dbt source freshness` on the pipeline's warehouse: {table: status}."""
    from dbt.cli.main import dbtRunner

    pipeline._env()
    result = dbtRunner().invoke(["source", "freshness", *pipeline._flags()])
    # (the results also hold the on-run-start and on-run-end hooks, operations)
    return {node.node.name: str(node.status) for node in result.result.results
            if str(node.node.resource_type) == "source"}


def test_source_freshness_passes_on_fresh_raw_tables_and_fails_on_stale_ones(pipeline):
    from datetime import datetime, timedelta, timezone

    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with pipeline.connect() as con:
        append_rows(con, "inference_events", [{"event_id": "e1", "event_time": now - timedelta(minutes=30),
                                               "ingested_at": now - timedelta(minutes=29), "model_name": "m",
                                               "model_version": "v1", "predicted_class": "a"}])
        append_rows(con, "label_events", [{"event_id": "e1", "label": "a", "labeled_at": now - timedelta(hours=30),
                                           "ingested_at": now - timedelta(hours=30)}])
    # inferences 29 minutes old: fresh; labels 30 hours old: past warn_after (24 h), not error_after (72 h)
    assert _freshness(pipeline) == {"inference_events": "pass", "label_events": "warn"}
    with pipeline.connect() as con:
        con.execute("update raw.inference_events set ingested_at = ingested_at - interval 7 hour")
    assert _freshness(pipeline)["inference_events"] == "error"


def test_compile_on_a_fresh_warehouse_renders_every_model_without_building_anything(pipeline, dbt_work_dir):
    # `dbt compile` before the first build (CI linting, dbt docs, reviewing SQL):
    # compile-time lookups fall back when their relations do not exist yet, and
    # nothing is created in the warehouse.
    result = pipeline.dbt("compile")
    assert result.success, result.messages
    compiled = dbt_work_dir / "target" / "compiled" / "classifier_monitor" / "models"
    verdict = (compiled / "intermediate" / "int_quality_gate_batch_verdict.sql").read_text()
    assert "int_quality_gate_inference_batch" in verdict and "int_quality_gate_label_batch" in verdict
    models = {path.stem for path in compiled.rglob("*.sql")} | {path.stem for path in compiled.rglob("*.py")}
    assert {"stg_inference_events", "int_event_state_log", "fct_confusion_matrix_hourly",
            "fct_feature_drift", "int_quality_gate_rollup_verdict"} <= models
    with pipeline.connect() as con:
        schemas = {row[0] for row in con.execute("select schema_name from information_schema.schemata").fetchall()}
    assert not {"staging", "intermediate", "marts"} & schemas


def _duckdb_value(pipeline, sql: str) -> str:
    """A one-value query on the process's DuckDB instance as it is now, run by a
    dbt command that runs no on-run-start hook of its own (`dbt show`).
    dbt-duckdb keeps the instance open between dbt commands of one process, so
    this sees what the last run left behind."""
    from dbt.cli.main import dbtRunner

    pipeline._env()
    shown = dbtRunner().invoke(["show", "--inline", sql, *pipeline._flags(), "--output", "json"])
    assert shown.success
    return str(shown.result.results[0].agate_table.rows[0][0])


def test_a_run_checkpoints_once_at_its_end_and_leaves_no_write_ahead_log(pipeline):
    """The profile raises DuckDB's checkpoint threshold (no checkpoint midway) and the
    on-run-end hook checkpoints: after a run the database file holds everything and
    the write-ahead log is gone, even while the process still has the file open."""
    from pathlib import Path

    with pipeline.connect() as con:
        append_rows(con, "inference_events", [{"event_id": f"e{i}", "event_time": "2026-01-01 10:00:00",
                                               "ingested_at": "2026-01-01 10:00:01", "model_name": "m",
                                               "model_version": "v1", "predicted_class": "a"}
                                              for i in range(50)])
    build = pipeline.build()
    hooks = [sql for name, sql in build.hook_sql.items() if "on-run-end" in name]
    assert hooks[1:] == ["checkpoint"]  # (the first: cm_run_memory_limit)
    wal = Path(pipeline.db_path + ".wal")
    assert not wal.exists() or wal.stat().st_size == 0
    assert _duckdb_value(pipeline, "select current_setting('checkpoint_threshold')") == "953.6 MiB"  # 1GB, the profile's


# the limit DuckDB's buffer pool enforces: RESET restores current_setting() but not this
POOL_LIMIT = "select memory_limit from pragma_database_size()"


def _bytes(size: str) -> float:
    """DuckDB's printed size ('488.2 MiB', '18.7 GiB') in bytes."""
    number, unit = size.split()
    return float(number) * 1024 ** ["bytes", "KiB", "MiB", "GiB", "TiB"].index(unit)


def test_runs_that_only_apply_increments_cap_duckdb_memory_and_full_builds_do_not(pipeline):
    """The on-run-start hook (macros/operations/cm_run_memory_limit.sql) caps DuckDB's
    buffer pool at incremental_memory_limit on a run that only applies increments,
    and sets it back to DuckDB's default on a first build, a --full-refresh, a
    backfill and a run whose selection holds an incremental model not built yet.
    Every run ends by setting the default again (on-run-end), so the cap never
    outlives the run in the process's DuckDB instance, even when the run fails; a
    cap DuckDB cannot apply fails the run with DuckDB's message, and a malformed
    size fails it before any model."""
    from classifier_monitor.pipeline import BuildFailed

    capped = "set memory_limit = '512MB'"
    start, end = "classifier_monitor-on-run-start-0", "classifier_monitor-on-run-end-0"
    with pipeline.connect() as con:
        append_rows(con, "inference_events", [{"event_id": f"e{i}", "event_time": "2026-01-01 10:00:00",
                                               "ingested_at": "2026-01-01 10:00:01", "model_name": "m",
                                               "model_version": "v1", "predicted_class": "a"}
                                              for i in range(5)])
        default = con.execute("select current_setting('memory_limit')").fetchone()[0]  # 80% of RAM
    uncapped = f"set memory_limit = '{default}'"
    staging = "stg_inference_rows"
    first = pipeline.build(select=staging)
    assert (first.hook_sql[start], first.hook_sql[end]) == (uncapped, uncapped)   # first build of it
    increment = pipeline.build(select=staging)
    assert (increment.hook_sql[start], increment.hook_sql[end]) == (capped, uncapped)
    # not left behind (the default is set as DuckDB prints it, to 0.1 GiB)
    assert _bytes(_duckdb_value(pipeline, POOL_LIMIT)) == pytest.approx(_bytes(default), rel=0.01)
    assert pipeline.build(select=f"{staging} stg_label_rows").hook_sql[start] == uncapped  # one model is new
    assert pipeline.build(select=staging, full_refresh=True).hook_sql[start] == uncapped
    backfill = {"backfill_start": "2026-01-01 00:00:00", "backfill_end": "2026-01-02 00:00:00"}
    assert pipeline.build(select=staging, vars=backfill).hook_sql[start] == uncapped
    assert pipeline.build(select=staging, vars={"incremental_memory_limit": None}).hook_sql[start] == uncapped
    assert pipeline.build(select=staging, vars={"incremental_memory_limit": "1.5GB"}).hook_sql[start] \
        == "set memory_limit = '1.5GB'"

    # the hook's SET really reaches DuckDB's buffer pool: a cap below what it holds is refused, loudly
    refused = pipeline.build(select=staging, vars={"incremental_memory_limit": "1KB"}, check=False)
    assert not refused.success and refused.hook_sql[start] == "set memory_limit = '1KB'"
    assert any("Out of Memory Error" in message and "memory limit" in message for message in refused.messages)
    assert _bytes(_duckdb_value(pipeline, POOL_LIMIT)) == pytest.approx(_bytes(default), rel=0.01)

    with pytest.raises(BuildFailed, match="incremental_memory_limit.*lots"):
        pipeline.build(select=staging, vars={"incremental_memory_limit": "lots"})
