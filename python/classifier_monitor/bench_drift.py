"""Benchmark of the drift models: a full build of everything fct_feature_drift
needs beyond the hourly pipeline, on a warehouse that already holds the raw
data and the built staging / hourly models.

The build runs `dbt build --full-refresh` in a fresh child process, so its wall
time includes dbt's start-up, and the child reports its own peak resident
memory (getrusage RUSAGE_SELF, the kernel's high-water mark; no extra packages).

    from classifier_monitor import bench_drift
    bench_drift.run("warehouse/monitor.duckdb")
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parents[2]

# The drift models (not their upstream staging / hourly models).
DRIFT_SELECTOR = "int_drift_window_log+"


def _drift_shape(db_path: str) -> dict:
    con = duckdb.connect(db_path, read_only=True)
    try:
        rows = con.execute("select count(*) from staging.stg_inference_events").fetchone()[0]
        windows, distributions, features = con.execute(
            "select count(distinct window_start), count(*), count(distinct feature) from marts.fct_feature_drift"
        ).fetchone()
        severities = dict(con.execute(
            "select severity, count(*) from marts.fct_feature_drift group by severity").fetchall())
    finally:
        con.close()
    return {"rows": rows, "windows": windows, "drift_rows": distributions, "features": features,
            "severities": severities}


# Runs in the child: dbt in-process, then the process's own peak RSS.
_CHILD = """
import json, resource, sys
from dbt.cli.main import dbtRunner
result = dbtRunner().invoke(sys.argv[2:])
messages = [str(result.exception)] if result.exception is not None else []
for node in getattr(result.result, "results", None) or []:
    if str(node.status) not in ("success", "pass"):
        messages.append(f"{node.node.name}: {node.status}: {node.message}")
with open(sys.argv[1], "w") as out:
    json.dump({"success": bool(result.success), "messages": messages,
               "peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}, out)
"""


def run(db_path: str | os.PathLike, vars: dict | None = None, threads: int = 2,
        work_dir: str | os.PathLike | None = None) -> dict:
    """Time a full build of the drift models on `db_path` and return
    {'seconds', 'peak_rss_mb', 'rows', 'windows', 'drift_rows', 'features',
    'severities', 'vars'}. `vars` are passed to dbt (e.g. the reference mode)."""
    db_path = str(db_path)
    work = Path(work_dir) if work_dir else Path(db_path).resolve().parent / "bench-drift-dbt"
    work.mkdir(parents=True, exist_ok=True)
    report = work / "child.json"
    env = {**os.environ, "CLASSIFIER_MONITOR_DB": db_path, "CLASSIFIER_MONITOR_THREADS": str(threads),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    argv = [sys.executable, "-c", _CHILD, str(report),
            "build", "--full-refresh", "--select", DRIFT_SELECTOR,
            "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR / "profiles"),
            "--target-path", str(work / "target"), "--log-path", str(work / "logs"), "--quiet"]
    if vars:
        argv += ["--vars", json.dumps(vars, default=str)]
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    child = json.loads(report.read_text()) if report.exists() else {"success": False, "messages": []}
    if done.returncode != 0 or not child["success"]:
        raise RuntimeError("drift build failed:\n" + "\n".join(child["messages"]) + done.stderr[-2000:])
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(child["peak_rss_kb"] / 1024, 1),
            **_drift_shape(db_path), "vars": vars or {}}


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1]), indent=2, default=str))
