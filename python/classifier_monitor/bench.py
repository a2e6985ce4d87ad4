"""`make bench`: the README's performance figures, measured in one run.

1. 10M inferences over 30 days (generator), everything but the last hour delivered.
2. Full build; time of the three marts and of the whole build.
3. Incremental run: the last hour of inferences plus every label that landed in
   that hour (late labels spread over the previous weeks).
4. The same with twice the history (20M inferences over 60 days).
5. Floor: one hand-written DuckDB statement computing the same hourly confusion
   counts with grouping sets over the labeled, deduplicated inferences.
Model times are dbt's own per-model execution times (models only, not tests).
Each scenario runs in a fresh child process (`_scenario_in_child`), as a
scheduler starts one: the second does not inherit the first one's DuckDB
buffers and imports, and the parent stays small (run in-process, the parent
reached an 18.8 GB peak and the x2 incremental run paid for it).
The "confusion pipeline" is what the three marts need: staging, the state log,
the prediction counts and the marts themselves; "all hourly models" adds the
quality gates, SLIs and SLO status. The scenarios build the
`hourly` selector, what a scheduler runs every hour; the drift models (the
`daily` selector) are timed on their own at the end (bench_drift).
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from classifier_monitor.pipeline import Pipeline

MARTS = ("fct_confusion_matrix_hourly", "fct_class_metrics_hourly", "fct_model_metrics_hourly")
# The hourly confusion pipeline: what the three marts need (staging, state log, counts) and the marts.
CONFUSION_PIPELINE = ("stg_inference_rows", "stg_inference_events", "stg_label_rows", "stg_label_events",
                      "int_event_state_log", "int_prediction_counts_hourly", *MARTS)
FLOOR_SQL = """
create or replace temp table bench_floor as
select hour, model_name, model_version,
       case when grouping(region) = 0 then 'region' when grouping(device) = 0 then 'device'
            when grouping(channel) = 0 then 'channel' else 'all' end as slice_name,
       coalesce(region, device, channel, 'all') as slice_value,
       label as actual_class, predicted_class, count(*) as n
from staging.stg_inference_events
join staging.stg_label_events using (event_id)
group by grouping sets ((hour, model_name, model_version, label, predicted_class, region),
                        (hour, model_name, model_version, label, predicted_class, device),
                        (hour, model_name, model_version, label, predicted_class, channel),
                        (hour, model_name, model_version, label, predicted_class))
"""


def _models_only(result) -> dict[str, float]:
    return {name: seconds for name, seconds in result.model_seconds.items() if result.node_types.get(name) == "model"}


def _checkpoint_seconds(result) -> float:
    """The run's one checkpoint: the on-run-end hook that runs `checkpoint`
    (macros/operations/cm_checkpoint.sql), which dbt reports as an operation, not a model."""
    return sum(seconds for name, seconds in result.model_seconds.items()
               if result.node_types.get(name) == "operation" and "on-run-end" in name
               and result.hook_sql.get(name) == "checkpoint")


def _scenario(db: Path, n_inferences: int, days: int, label: str) -> dict:
    from classifier_monitor.generator import GeneratorConfig, deliver, generate

    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    cfg = GeneratorConfig(n_inferences=n_inferences, days=days, seed=11)
    pipe = Pipeline(db, work_dir=db.parent / f"bench-dbt-{label}")
    cut = cfg.end - timedelta(hours=1)
    started = time.perf_counter()
    with pipe.connect() as con:
        generate(con, cfg, progress=True)
        deliver(con, until=cut)
        con.execute("checkpoint")
    figures = {"generate_s": time.perf_counter() - started}

    full = pipe.build(selector="hourly")
    models = _models_only(full)
    figures.update(full_build_wall_s=full.seconds, full_build_models_s=sum(models.values()),
                   full_marts_s=sum(models[m] for m in MARTS), full_models=models)
    with pipe.connect() as con:
        new_rows = deliver(con, since=cut, until=cfg.end)
        spread = con.execute("""
            select count(distinct e.hour), min(e.hour), max(e.hour)
            from raw.label_events l join staging.stg_inference_events e using (event_id)
            where l.ingested_at > ? and l.ingested_at <= ?""", [cut, cfg.end]).fetchone()
    incremental = pipe.build(selector="hourly")
    models = _models_only(incremental)
    figures.update(new_rows=new_rows, late_label_hours=spread[0], late_label_span=(spread[1], spread[2]),
                   incremental_wall_s=incremental.seconds, incremental_models_s=sum(models.values()),
                   incremental_pipeline_s=sum(models.get(name, 0) for name in CONFUSION_PIPELINE),
                   incremental_models=models, incremental_checkpoint_s=_checkpoint_seconds(incremental))
    with pipe.connect() as con:
        started = time.perf_counter()
        con.execute(FLOOR_SQL)
        figures["floor_s"] = time.perf_counter() - started
        figures["labeled_rows"] = con.execute("select count(*) from staging.stg_label_events").fetchone()[0]
    return figures


def _scenario_in_child(db: Path, n_inferences: int, days: int, label: str) -> dict:
    """`_scenario` in a fresh Python process; its figures come back as JSON
    (the late-label span as text). The child's progress display is passed through."""
    code = ("import json, sys; from pathlib import Path; from classifier_monitor.bench import _scenario; "
            "print(json.dumps(_scenario(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]), "
            "default=str))")
    done = subprocess.run([sys.executable, "-c", code, str(db), str(n_inferences), str(days), label],
                          stdout=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"bench scenario {label} on {db} failed (exit {done.returncode}); its output is above")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_bench(db_path: str, n_inferences: int = 10_000_000, days: int = 30) -> int:
    db = Path(db_path)
    db.parent.mkdir(parents=True, exist_ok=True)
    base = _scenario_in_child(db, n_inferences, days, "base")
    double = _scenario_in_child(db.with_name(db.stem + "-2x.duckdb"), 2 * n_inferences, 2 * days, "double")

    print(f"\n== Benchmark: {n_inferences:,} inferences over {days} days ==")
    print(f"generate                          {base['generate_s']:8.1f} s")
    print(f"full build, all models            {base['full_build_models_s']:8.1f} s   (wall {base['full_build_wall_s']:.1f} s)")
    print(f"full build, the three marts       {base['full_marts_s']:8.2f} s")
    print(f"floor (one grouping-sets query)   {base['floor_s']:8.2f} s   -> marts / floor = "
          f"{base['full_marts_s'] / base['floor_s']:.2f}x")
    for name, figures in (("history x1", base), ("history x2", double)):
        print(f"incremental run, {name}: confusion pipeline {figures['incremental_pipeline_s']:.2f} s, "
              f"all hourly models {figures['incremental_models_s']:.2f} s, run-end checkpoint "
              f"{figures['incremental_checkpoint_s']:.2f} s (wall {figures['incremental_wall_s']:.1f} s), "
              f"new rows {figures['new_rows']}, late labels over {figures['late_label_hours']} hours")
    print(f"incremental ratio x2 / x1, confusion pipeline  "
          f"{double['incremental_pipeline_s'] / base['incremental_pipeline_s']:6.2f}")
    print(f"incremental ratio x2 / x1, all hourly models   "
          f"{double['incremental_models_s'] / base['incremental_models_s']:6.2f}")
    print("\nper-model seconds, incremental (x1 | x2):")
    for name in base["incremental_models"]:
        print(f"  {name:40s} {base['incremental_models'][name]:6.2f} | {double['incremental_models'].get(name, 0):6.2f}")
    print("\nper-model seconds, full build (x1):")
    for name, seconds in sorted(base["full_models"].items(), key=lambda kv: -kv[1]):
        print(f"  {name:40s} {seconds:6.2f}")
    try:
        from classifier_monitor.bench_drift import run as run_drift
    except ImportError:
        run_drift = None
    if run_drift is not None:
        from classifier_monitor.bench_drift import floors, run_daily

        print("\n== Drift: full build ==")
        for key, value in run_drift(str(db)).items():
            print(f"  {key}: {value}")
        print("\n== Drift: floors, bare aggregations an exact build needs (docs/drift.md) ==")
        for key, value in floors(str(db)).items():
            print(f"  {key}: {value}")
        print("\n== Drift: the next daily run (after one more hour of traffic) ==")
        for key, value in run_daily(str(db)).items():
            print(f"  {key}: {value}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak resident memory of this process: {peak:,.0f} MiB")
    return 0


# One more hour of traffic for a warehouse a previous bench left fully built:
# the last hour's inferences again under new ids an hour later, and the next
# 10,000 generated labels not delivered yet (late labels of past events, with
# the generator's corrections), landing in that hour. The new ids look like the
# generator's (random hex): a prefix that sorts after every existing id would
# let min/max pruning skip most of an id lookup, which real ids never allow.
NEXT_HOUR_SQL = ["""
    insert into raw.inference_events
    select * replace ('evt-' || substr(md5('next-' || event_id), 1, 12) as event_id,
                      event_time + interval 1 hour as event_time,
                      ingested_at + interval 1 hour as ingested_at)
    from raw.inference_events
    where ingested_at > (select max(ingested_at) - interval 1 hour from raw.inference_events)
""", """
    insert into raw.label_events (event_id, label, labeled_at, ingested_at, label_source)
    select event_id, label, least(labeled_at, landed), landed, label_source
    from (
        select pending.*, (select max(ingested_at) from raw.inference_events) as landed
        from gen.label_events as pending
        where pending.ingested_at > (select max(ingested_at) from raw.label_events)
        order by pending.ingested_at
        limit 10000
    )
"""]


def _next_hour(db: Path, label: str, threads: int = 2, page_cache: str = "warm") -> dict:
    """The incremental run again on a copy of a built bench warehouse (runs in
    the child process `_next_hour_in_child` starts). `page_cache` is the state
    of the copy's pages in the OS page cache when the timed build starts:
    "warm" (read through once: a host that keeps its warehouse in memory) or
    "cold" (dropped: every read of the history goes to disk, as after an idle
    hour on a host that reclaims idle page cache); see `_set_page_cache`."""
    copy = db.with_name(db.stem + "-next-hour.duckdb")
    shutil.copyfile(db, copy)
    try:
        pipe = Pipeline(copy, work_dir=db.parent / f"bench-dbt-{label}", threads=threads)
        with pipe.connect() as con:
            for statement in NEXT_HOUR_SQL:
                con.execute(statement)
            con.execute("checkpoint")
        # the copy's dirty pages go to disk now, not while the build is timed
        os.sync()
        _release_page_cache(db)
        _set_page_cache(copy, page_cache)
        build = pipe.build(selector="hourly")
        models = _models_only(build)
        return {"models_s": sum(models.values()),
                "pipeline_s": sum(models.get(name, 0) for name in CONFUSION_PIPELINE),
                "wall_s": build.seconds, "checkpoint_s": _checkpoint_seconds(build), "models": models}
    finally:
        for path in (copy, copy.with_name(copy.name + ".wal"), copy.with_name(copy.name + ".run.lock")):
            path.unlink(missing_ok=True)


def _release_page_cache(*paths: Path) -> None:
    """Drop the cached pages of the source warehouse once it is copied. The copy
    stands in for the warehouse a scheduler runs on; with the source cached too,
    the page cache holds the same history twice (16 GB for the 20M warehouse on
    a 24 GB machine), the kernel has to reclaim memory while DuckDB allocates its
    buffers, and a cold scan costs two to three times the CPU (measured: the
    state log at 20M rows took 2.5-4.6 s, 1.5-1.7 s with the source released)."""
    for path in paths:
        if hasattr(os, "posix_fadvise") and path.exists():
            descriptor = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(descriptor)


def _set_page_cache(path: Path, state: str) -> None:
    """Put a warehouse file's pages in a known state right before a timed run.
    Left alone, the state is an accident of the machine: the reference machine
    runs the kernel's proactive reclaim (DAMON `pageout` of pages idle for 60 s,
    up to 128 MB/s), so a copy made a minute earlier is partly back on disk
    when the build reads it, more of it the bigger the copy. "warm" reads the
    file through once (sequentially, at page cache or disk speed), "cold"
    drops it from the cache (measured 2026-12-07 at 10M rows: the confusion
    pipeline 2.62 s warm, 3.84 s cold)."""
    if state == "warm":
        with open(path, "rb", buffering=0) as handle:
            while handle.read(8 << 20):
                pass
    elif state == "cold":
        _release_page_cache(path)
    else:
        raise ValueError(f"page_cache must be 'warm' or 'cold', not {state!r}")


def _next_hour_in_child(db: Path, label: str, threads: int = 2, page_cache: str = "warm") -> dict:
    """One measurement in a fresh Python process, as a scheduler starts one: no
    module (dbt's, Great Expectations') is imported yet, and an earlier
    measurement cannot warm anything up for a later one."""
    code = ("import json, sys; from pathlib import Path; from classifier_monitor.bench import _next_hour; "
            "print(json.dumps(_next_hour(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4])))")
    done = subprocess.run([sys.executable, "-c", code, str(db), label, str(threads), page_cache],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"next-hour run on {db} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _median_run(runs: list[dict]) -> dict:
    """Per figure and per model, the median over the repetitions."""
    models = sorted({name for run in runs for name in run["models"]})
    return {"models_s": statistics.median(run["models_s"] for run in runs),
            "pipeline_s": statistics.median(run["pipeline_s"] for run in runs),
            "wall_s": statistics.median(run["wall_s"] for run in runs),
            "checkpoint_s": statistics.median(run["checkpoint_s"] for run in runs),
            "models": {name: statistics.median(run["models"].get(name, 0) for run in runs) for name in models},
            "pipeline_runs": [round(run["pipeline_s"], 2) for run in runs],
            "models_runs": [round(run["models_s"], 2) for run in runs]}


def run_next_hour(db_path: str, repeat: int = 3, threads: int = 2, page_cache: str = "warm") -> int:
    """`bench --next-hour`: re-measure only the incremental run (x1 and x2) on
    the warehouses of an earlier `make bench`, e.g. on a quieter machine. Each
    measurement runs in a fresh process on a fresh copy, whose pages are then
    read through ("warm") or dropped ("cold") right before the timed build
    (`_set_page_cache`); x1 and x2 alternate,
    `repeat` times, and the medians are printed. With `threads=1` dbt runs one
    model at a time, so per-model times do not overlap and add up to the work."""
    db = Path(db_path)
    double = db.with_name(db.stem + "-2x.duckdb")
    if not (db.exists() and double.exists()):
        print(f"run `make bench` first: {db} and {double} are needed")
        return 1
    base_runs, twice_runs = [], []
    for _ in range(repeat):
        base_runs.append(_next_hour_in_child(db, "base", threads, page_cache))
        twice_runs.append(_next_hour_in_child(double, "double", threads, page_cache))
    base, twice = _median_run(base_runs), _median_run(twice_runs)
    print(f"\n== Incremental run again: one more hour of inferences + the next 10,000 late labels "
          f"(median of {repeat} fresh processes, {threads} dbt thread{'s' if threads != 1 else ''}, "
          f"page cache {page_cache}) ==")
    for name, figures in (("history x1", base), ("history x2", twice)):
        print(f"{name}: confusion pipeline {figures['pipeline_s']:.2f} s {figures['pipeline_runs']}, "
              f"all hourly models {figures['models_s']:.2f} s {figures['models_runs']}, "
              f"run-end checkpoint {figures['checkpoint_s']:.2f} s (wall {figures['wall_s']:.1f} s)")
    print(f"ratio x2 / x1: confusion pipeline {twice['pipeline_s'] / base['pipeline_s']:.2f}, "
          f"all hourly models {twice['models_s'] / base['models_s']:.2f}")
    print("\nper-model seconds (x1 | x2):")
    for name, seconds in sorted(base["models"].items(), key=lambda kv: -kv[1]):
        print(f"  {name:40s} {seconds:6.2f} | {twice['models'].get(name, 0):6.2f}")
    return 0
