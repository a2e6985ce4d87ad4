"""Command line: `python -m classifier_monitor <command>` (also what the Makefile runs).

Commands
  demo        generate demo data, build, deliver a day of late labels, build again, summarise
  generate    write generated raw tables into a DuckDB file (all rows, or up to --until)
  build       dbt build (incremental), or --full-refresh
  backfill    recompute the rollups of every hour in [--start, --end)
  load-labels append a CSV/Parquet file of (late) labels to the raw table and build
  bench       the benchmark of the README (10M inferences by default)
  report      render the static HTML report of the marts (docs/report.md) and print its path
"""
from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from pathlib import Path

from classifier_monitor.pipeline import EXIT_LOCKED, PROJECT_DIR, Pipeline, RunLocked

DEFAULT_DB = os.environ.get("CLASSIFIER_MONITOR_DB", str(PROJECT_DIR / "warehouse" / "monitor.duckdb"))


def _timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _pipeline(args) -> Pipeline:
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    return Pipeline(args.db)


def cmd_generate(args) -> int:
    from classifier_monitor.generator import GeneratorConfig, write_demo

    cfg = GeneratorConfig(n_inferences=args.inferences, days=args.days, seed=args.seed)
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    counts = write_demo(args.db, cfg, until=args.until, progress=True)
    for key, value in counts.items():
        print(f"{key:>28}: {value:,}")
    return 0


def cmd_build(args) -> int:
    result = _pipeline(args).build(full_refresh=args.full_refresh, select=args.select,
                                   selector=args.selector, check=False)
    print("\n".join(result.messages) or f"build ok in {result.seconds:.1f}s")
    return 0 if result.success else 1


def cmd_backfill(args) -> int:
    window = {"backfill_start": str(args.start), "backfill_end": str(args.end)}
    result = _pipeline(args).build(vars=window, check=False)
    print("\n".join(result.messages) or f"backfill of [{args.start}, {args.end}) ok in {result.seconds:.1f}s")
    return 0 if result.success else 1


def cmd_load_labels(args) -> int:
    from classifier_monitor.labels_file import load_labels

    pipe = _pipeline(args)
    with pipe.connect() as con:
        appended = load_labels(con, args.file)
    print(f"appended {appended:,} label rows from {args.file}")
    if args.no_build:
        return 0
    result = pipe.build(check=False)
    print("\n".join(result.messages) or f"build ok in {result.seconds:.1f}s")
    return 0 if result.success else 1


def cmd_demo(args) -> int:
    from classifier_monitor.demo import run_demo

    return run_demo(args.db, n_inferences=args.inferences, days=args.days, seed=args.seed)


def cmd_bench(args) -> int:
    from classifier_monitor.bench import run_bench, run_next_hour

    if args.next_hour:
        return run_next_hour(args.db, repeat=args.repeat, threads=args.threads, page_cache=args.page_cache)
    if args.drift_floors:
        from classifier_monitor.bench_drift import floors

        for key, value in floors(args.db).items():
            print(f"{key}: {value}")
        return 0
    return run_bench(args.db, n_inferences=args.inferences, days=args.days)


def cmd_report(args) -> int:
    from classifier_monitor.report import DEFAULT_OUT, write_report

    out = write_report(args.db, args.out or DEFAULT_OUT, start=args.start, end=args.end, slice_name=args.slice_name,
                       slice_value=args.slice_value, model=args.model, version=args.version)
    print(out)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="classifier_monitor", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    def add(name, func, **defaults):
        sub = commands.add_parser(name)
        sub.add_argument("--db", default=defaults.pop("db", DEFAULT_DB), help="DuckDB file")
        sub.set_defaults(func=func)
        return sub

    sub = add("generate", cmd_generate)
    sub.add_argument("--inferences", type=int, default=1_000_000)
    sub.add_argument("--days", type=int, default=14)
    sub.add_argument("--seed", type=int, default=42)
    sub.add_argument("--until", type=_timestamp, default=None, help="deliver rows ingested up to this UTC time")

    sub = add("build", cmd_build)
    sub.add_argument("--full-refresh", action="store_true")
    sub.add_argument("--select", default=None)
    sub.add_argument("--selector", default=None, choices=["hourly", "daily"],
                     help="a selector of selectors.yml: the hourly part or the daily (drift) part")

    sub = add("backfill", cmd_backfill)
    sub.add_argument("--start", type=_timestamp, required=True, help="first hour (UTC), inclusive")
    sub.add_argument("--end", type=_timestamp, required=True, help="end (UTC), exclusive")

    sub = add("load-labels", cmd_load_labels)
    sub.add_argument("file", help="CSV or Parquet with event_id, label [, labeled_at, label_source]")
    sub.add_argument("--no-build", action="store_true", help="only append; the next scheduled build applies them")

    sub = add("demo", cmd_demo)
    sub.add_argument("--inferences", type=int, default=1_000_000)
    sub.add_argument("--days", type=int, default=14)
    sub.add_argument("--seed", type=int, default=42)

    sub = add("bench", cmd_bench, db=str(PROJECT_DIR / "warehouse" / "bench.duckdb"))
    sub.add_argument("--inferences", type=int, default=10_000_000)
    sub.add_argument("--days", type=int, default=30)
    sub.add_argument("--next-hour", action="store_true",
                     help="only re-measure the incremental run on the warehouses of an earlier bench")
    sub.add_argument("--drift-floors", action="store_true",
                     help="only time the bare aggregations an exact drift build needs, on the warehouse of an earlier bench")
    sub.add_argument("--repeat", type=int, default=3, help="with --next-hour: measurements per history size (median)")
    sub.add_argument("--page-cache", choices=["warm", "cold"], default="warm",
                     help="with --next-hour: the warehouse copy read through (warm) or dropped (cold) before the run")
    sub.add_argument("--threads", type=int, default=2, help="with --next-hour: dbt threads (1: per-model times do not overlap)")

    sub = add("report", cmd_report)
    sub.add_argument("--out", default=None, help="HTML file to write (default: reports/report.html)")
    sub.add_argument("--start", type=_timestamp, default=None,
                     help="first hour (UTC), inclusive; default: the first day of data")
    sub.add_argument("--end", type=_timestamp, default=None,
                     help="end (UTC), exclusive; default: the end of the last hour of data")
    sub.add_argument("--slice-name", default="all", help="slice column, or 'all'")
    sub.add_argument("--slice-value", default="all", help="slice value, or 'all'")
    sub.add_argument("--model", default=None, help="default: the model with the most predictions")
    sub.add_argument("--version", default=None,
                     help="model version, or 'all' to sum every version; default: the one serving most in the last 24h")

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except RunLocked as locked:
        print(f"classifier_monitor: {locked}", file=sys.stderr)
        return EXIT_LOCKED


if __name__ == "__main__":
    sys.exit(main())
