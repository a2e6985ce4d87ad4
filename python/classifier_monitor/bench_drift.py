"""Benchmark of the drift models: a full build of everything fct_feature_drift
needs beyond the hourly pipeline, on a warehouse that already holds the raw
data and the built staging / hourly models.

The build runs `dbt build --full-refresh` in a fresh child process, so its wall
time includes dbt's start-up, and the child reports its own peak resident
memory: VmHWM of /proc/self/status, the kernel's high-water mark of the child's
own address space. (getrusage's ru_maxrss would not do: on Linux a child
inherits its parent's high-water mark across fork and exec.)
DuckDB sizes its buffer pool from the machine's RAM (80% by default); the
benchmark runs with an explicit `memory_limit` (DuckDB spills to disk beyond
it), set in a copy of the project's profile that only the benchmark uses.

    from classifier_monitor import bench_drift
    bench_drift.prepare("warehouse/monitor.duckdb")   # unless staging is built
    bench_drift.run("warehouse/monitor.duckdb")
    bench_drift.run_daily("warehouse/monitor.duckdb")  # then: the next daily run

`floors` times bare statements that set a lower bound for any exact drift
build (docs/drift.md, "Why 20 s is out of reach").

`run_daily` measures what a scheduler pays once a day: one more hour of
traffic lands (the last hour's inferences again an hour later, under new ids,
and the next 10,000 generated labels), the hourly models take it in (not
timed), and the `daily` selector recomputes only the drift windows that
changed, in a fresh child process under the same memory cap.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import yaml

from classifier_monitor import contract

PROJECT_DIR = Path(__file__).resolve().parents[2]

# DuckDB's cap in both drift measurements. The process peaks at about this
# plus 450 MB (Python, dbt, pandas, scipy): at 10M rows 1200MB kept the full
# build under 2 GB (1,652 MiB, against 1,952 MiB at 1500MB for 2% less time),
# and 1000MB ran out of memory in int_drift_numeric_bins (docs/drift.md).
MEMORY_LIMIT = "1200MB"

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
import json, re, sys
from dbt.cli.main import dbtRunner
result = dbtRunner().invoke(sys.argv[2:])
messages = [str(result.exception)] if result.exception is not None else []
for node in getattr(result.result, "results", None) or []:
    if str(node.status) not in ("success", "pass"):
        messages.append(f"{node.node.name}: {node.status}: {node.message}")
with open(sys.argv[1], "w") as out:
    json.dump({"success": bool(result.success), "messages": messages,
               "peak_rss_kb": int(re.search(r"VmHWM:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))}, out)
"""


def _profiles_dir(work: Path, memory_limit: str | None) -> Path:
    """The project's profile, plus DuckDB settings for the benchmark."""
    profiles = yaml.safe_load((PROJECT_DIR / "profiles" / "profiles.yml").read_text())
    for output in profiles["classifier_monitor"]["outputs"].values():
        # module_paths are relative to the project
        output["module_paths"] = [str(PROJECT_DIR / path) for path in output.get("module_paths", [])]
        if memory_limit:
            output.setdefault("settings", {})["memory_limit"] = memory_limit
    target = work / "profiles"
    target.mkdir(parents=True, exist_ok=True)
    (target / "profiles.yml").write_text(yaml.safe_dump(profiles, sort_keys=False))
    return target


def _child_dbt(db_path: str, args: list[str], threads: int, memory_limit: str | None, work: Path) -> dict:
    """Run one dbt command in a fresh process; returns its report (success,
    messages, peak_rss_kb) and wall seconds."""
    work.mkdir(parents=True, exist_ok=True)
    profiles_dir = _profiles_dir(work, memory_limit)
    report = work / "child.json"
    report.unlink(missing_ok=True)
    env = {**os.environ, "CLASSIFIER_MONITOR_DB": db_path, "CLASSIFIER_MONITOR_THREADS": str(threads),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    argv = [sys.executable, "-c", _CHILD, str(report), *args,
            "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(profiles_dir),
            "--target-path", str(work / "target"), "--log-path", str(work / "logs"), "--quiet"]
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, cwd=PROJECT_DIR)
    seconds = time.perf_counter() - started
    child = json.loads(report.read_text()) if report.exists() else {"success": False, "messages": []}
    if done.returncode != 0 or not child["success"]:
        raise RuntimeError("dbt " + " ".join(args) + " failed:\n" + "\n".join(child["messages"])
                           + done.stderr[-2000:])
    return {**child, "seconds": seconds}


def prepare(db_path: str | os.PathLike, threads: int = 2, work_dir: str | os.PathLike | None = None) -> float:
    """Build what the drift models read (staging and the hourly counts) on a
    warehouse holding raw data; returns the seconds it took."""
    db_path = str(db_path)
    work = Path(work_dir) if work_dir else Path(db_path).resolve().parent / "bench-drift-dbt"
    return _child_dbt(db_path, ["build", "--select", "+int_prediction_counts_hourly"], threads, None, work)["seconds"]


def run(db_path: str | os.PathLike, vars: dict | None = None, threads: int = 2,
        memory_limit: str | None = MEMORY_LIMIT, work_dir: str | os.PathLike | None = None) -> dict:
    """Time a full build of the drift models on `db_path` (raw data, staging
    and hourly counts already built: see prepare) and return {'seconds',
    'peak_rss_mb', 'rows', 'windows', 'drift_rows', 'features', 'severities',
    'vars', 'memory_limit'}. `vars` are passed to dbt (e.g. the reference
    mode); `memory_limit` caps DuckDB (None: DuckDB's default)."""
    db_path = str(db_path)
    work = Path(work_dir) if work_dir else Path(db_path).resolve().parent / "bench-drift-dbt"
    args = ["build", "--full-refresh", "--select", DRIFT_SELECTOR]
    if vars:
        args += ["--vars", json.dumps(vars, default=str)]
    child = _child_dbt(db_path, args, threads, memory_limit, work)
    return {"seconds": round(child["seconds"], 2), "peak_rss_mb": round(child["peak_rss_kb"] / 1024, 1),
            **_drift_shape(db_path), "vars": vars or {}, "memory_limit": memory_limit}


def run_daily(db_path: str | os.PathLike, threads: int = 2, memory_limit: str | None = MEMORY_LIMIT,
              work_dir: str | os.PathLike | None = None) -> dict:
    """After `run`: append one more hour of traffic, build the hourly models,
    then time the incremental `dbt build --selector daily` and return
    {'seconds', 'peak_rss_mb', 'windows_logged', 'windows_own_inputs_changed',
    'new_inference_rows', 'new_label_rows', 'memory_limit'}."""
    from classifier_monitor.bench import NEXT_HOUR_SQL

    db_path = str(db_path)
    work = Path(work_dir) if work_dir else Path(db_path).resolve().parent / "bench-drift-dbt"
    con = duckdb.connect(db_path)
    try:
        before = [con.execute(f"select count(*) from raw.{table}").fetchone()[0]
                  for table in ("inference_events", "label_events")]
        for statement in NEXT_HOUR_SQL:
            con.execute(statement)
        after = [con.execute(f"select count(*) from raw.{table}").fetchone()[0]
                 for table in ("inference_events", "label_events")]
        con.execute("checkpoint")
    finally:
        con.close()
    _child_dbt(db_path, ["build", "--selector", "hourly"], threads, None, work)
    child = _child_dbt(db_path, ["build", "--selector", "daily"], threads, memory_limit, work)
    con = duckdb.connect(db_path, read_only=True)
    try:
        logged, own = con.execute("""
            select count(distinct window_start), count(distinct window_start) filter (where own_inputs_changed)
            from intermediate.int_drift_window_log
            where batch_id = (select max(batch_id) from intermediate.int_drift_window_log)""").fetchone()
    finally:
        con.close()
    return {"seconds": round(child["seconds"], 2), "peak_rss_mb": round(child["peak_rss_kb"] / 1024, 1),
            "windows_logged": logged, "windows_own_inputs_changed": own,
            "new_inference_rows": after[0] - before[0], "new_label_rows": after[1] - before[1],
            "memory_limit": memory_limit}



def _floor_sql(feature: str, slices: list[str], grain: str) -> str:
    """One bare grouping-sets statement over the accepted inferences: per daily
    window, model and value of each slice column, the rows of `feature` counted
    per bucket (1024 log-spaced buckets per octave, with the moments a
    histogram keeps) or per distinct value. Nothing is written: the outer
    count(*) is what is returned."""
    if grain == "bucket":
        key = f"cast(floor(log2(abs({feature}) + 1e-300) * 1024) as integer)"
        measures = f"count(*), sum({feature}), sum({feature} * {feature}), min({feature}), max({feature})"
    else:
        key, measures = feature, "count(*)"
    sets = ", ".join(f"(window_start, model_name, grain_key, {column})" for column in slices)
    return f"""
        select count(*) from (
            select {measures}
            from (
                select date_trunc('day', hour) as window_start, model_name, {', '.join(slices)},
                       {key} as grain_key, {feature}
                from staging.stg_inference_events
                where {feature} is not null
            ) as rows_
            group by grouping sets ({sets})
        ) as groups_"""


def floors(db_path: str | os.PathLike, memory_limit: str = MEMORY_LIMIT, threads: int = 2) -> dict:
    """Time the bare aggregations an exact drift build cannot do without, on a
    built warehouse (read-only, DuckDB capped like the drift build): the bucket
    histograms (what exact KS needs) and the counts per distinct value (what
    exact Wasserstein needs wherever F - G changes sign), one statement per
    numeric distribution (the contract's numeric features, which the benchmark
    generates, and predicted_score), grouped by every slice column (no overall
    group). Returns {'histograms_s',
    'value_counts_s', 'histogram_rows', 'value_count_rows'}, the row counts per
    distribution."""
    features = [*contract.NUMERIC_FEATURES, "predicted_score"]
    con = duckdb.connect(str(db_path), read_only=True,
                         config={"memory_limit": memory_limit, "threads": threads})
    figures = {"histograms_s": 0.0, "value_counts_s": 0.0, "histogram_rows": {}, "value_count_rows": {}}
    try:
        for grain, seconds, rows in (("bucket", "histograms_s", "histogram_rows"),
                                     ("value", "value_counts_s", "value_count_rows")):
            for feature in features:
                started = time.perf_counter()
                figures[rows][feature] = con.execute(_floor_sql(feature, contract.SLICE_COLUMNS, grain)).fetchone()[0]
                figures[seconds] += time.perf_counter() - started
            figures[seconds] = round(figures[seconds], 2)
    finally:
        con.close()
    return figures


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1]), indent=2, default=str))
