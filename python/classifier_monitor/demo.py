"""`make demo`: generate a fortnight of traffic, build, let a day of late labels
arrive, build again, and print what a person would look at first."""
from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pandas as pd

from classifier_monitor.pipeline import Pipeline

pd.set_option("display.width", 200)
pd.set_option("display.max_columns", 30)


def _section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 74 - len(title)))


def _hourly_state(con) -> pd.DataFrame:
    return con.execute("""
        select hour, model_version, n_predictions, n_labeled, n_correct
        from marts.fct_model_metrics_hourly where slice_name = 'all'
    """).df()


def changed_hours(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Hours (all versions together) whose counts differ between two builds."""
    def per_hour(frame):
        return frame.groupby("hour")[["n_predictions", "n_labeled", "n_correct"]].sum()

    merged = per_hour(before).join(per_hour(after), how="outer", lsuffix="_before", rsuffix="_after").fillna(0)
    differs = (merged.filter(like="_before").to_numpy() != merged.filter(like="_after").to_numpy()).any(axis=1)
    return merged[differs].astype("int64")


def run_demo(db_path: str, n_inferences: int = 1_000_000, days: int = 14, seed: int = 42) -> int:
    from classifier_monitor.generator import GeneratorConfig, deliver, generate

    db = Path(db_path)
    db.parent.mkdir(parents=True, exist_ok=True)
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    cfg = GeneratorConfig(n_inferences=n_inferences, days=days, seed=seed)
    pipe = Pipeline(db)

    _section(f"Generating {n_inferences:,} inferences over {days} days (seed {seed})")
    started = time.perf_counter()
    with pipe.connect() as con:
        counts = generate(con, cfg, progress=n_inferences >= 2_000_000)
        delivered = deliver(con, until=cfg.end)
    print(f"generated in {time.perf_counter() - started:.1f}s: " + ", ".join(f"{k}={v:,}" for k, v in counts.items()))
    print(f"delivered up to {cfg.end:%Y-%m-%d %H:%M} UTC: {delivered['inference_rows']:,} inference rows, "
          f"{delivered['label_rows']:,} label rows")

    _section("dbt build (first, full)")
    result = pipe.build()
    print(f"built in {result.seconds:.1f}s")
    with pipe.connect() as con:
        before = _hourly_state(con)
        late = deliver(con, since=cfg.end, until=cfg.end + timedelta(days=1))
    _section("A day later: late labels arrive, dbt build (incremental)")
    print(f"new rows: {late['inference_rows']:,} inference rows, {late['label_rows']:,} label rows")
    result = pipe.build()
    print(f"built in {result.seconds:.1f}s; slowest models: " + ", ".join(
        f"{name} {seconds:.2f}s" for name, seconds in sorted(((name, seconds) for name, seconds in result.model_seconds.items()
                if result.node_types.get(name) == "model"), key=lambda kv: -kv[1])[:3]))

    with pipe.connect() as con:
        after = _hourly_state(con)
        changed = changed_hours(before, after)
        expected = set(con.execute("""
            select distinct events.hour
            from raw.label_events as labels
            join staging.stg_inference_events as events using (event_id)
            where labels.ingested_at > ? and labels.ingested_at <= ?
        """, [cfg.end, cfg.end + timedelta(days=1)]).df()["hour"])
        print(f"hours whose metrics changed: {len(changed)} (from {changed.index.min():%Y-%m-%d %H:00} "
              f"to {changed.index.max():%Y-%m-%d %H:00}); hours that received late labels: {len(expected)}; "
              f"changed hours without a late label: {len(set(changed.index) - expected)}")
        print(changed.tail(8).to_string())

        last_day = con.execute("select max(hour) - interval 23 hour from marts.fct_model_metrics_hourly").fetchone()[0]
        _section(f"Confusion matrix, last day of traffic (from {last_day:%Y-%m-%d %H:00}), all versions and slices")
        matrix = con.execute("""
            select actual_class, predicted_class, sum(n) as n from marts.fct_confusion_matrix_hourly
            where slice_name = 'all' and hour >= ? group by all
        """, [last_day]).df()
        print(matrix.pivot_table(index="actual_class", columns="predicted_class", values="n", fill_value=0).astype(int)
              .to_string())

        _section("Recall per class and region, last day (sums of tp / support, not averages of ratios)")
        recall = con.execute("""
            select class, slice_value as region, sum(tp) / nullif(sum(support), 0) as recall
            from marts.fct_class_metrics_hourly
            where slice_name = 'region' and hour >= ? group by all
        """, [last_day]).df()
        print(recall.pivot_table(index="class", columns="region", values="recall").round(3).to_string())

        _section("Accuracy per region and day (drift episode in eu-west)")
        daily = con.execute("""
            select date_trunc('day', hour) as day, slice_value as region, sum(n_correct) / nullif(sum(n_labeled), 0) as accuracy
            from marts.fct_model_metrics_hourly where slice_name = 'region' group by all
        """).df()
        print(daily.pivot_table(index="day", columns="region", values="accuracy").round(3).tail(8).to_string())

        _section("Reconciliation: every raw row accounted for")
        print(con.execute("select * from marts.fct_ingestion_reconciliation").df().to_string(index=False))
        quarantine = con.execute("""
            select 'inference' as input, reason, count(*) as rows from staging.stg_inference_quarantine group by all
            union all
            select 'label', reason, count(*) from staging.stg_label_quarantine group by all order by 1, 3 desc
        """).df()
        print(quarantine.to_string(index=False))
        _extra_sections(con)
        report = _write_report(con)
    print(f"\nwarehouse: {db}")
    print(f"report: {report}")
    return 0


def _write_report(con) -> Path:
    """The static HTML report (docs/report.md), from the connection already open:
    this process holds the file, so it cannot be reopened read-only here."""
    from classifier_monitor.report import DEFAULT_OUT, render_report, save_report

    return save_report(render_report(con), DEFAULT_OUT)


def _extra_sections(con) -> None:
    """Summaries of optional parts (SLOs, drift, gates) when they are present."""
    try:
        from classifier_monitor.slo_summary import summarize_slos
    except ImportError:
        return
    _section("SLO status")
    print(summarize_slos(con))
