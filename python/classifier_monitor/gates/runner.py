"""The three checkpoints, as the dbt Python models call them.

Each checkpoint keeps a log (its dbt model, append-only) and validates only
what is new since its last *passed* validation:

* the watermark advances only when no critical expectation failed, so a failed
  batch is validated again on the next run (and keeps the rollups closed)
  until the data or the configuration is fixed;
* when nothing arrived since that validation (the row count of the tables it
  reads is unchanged) and the run neither re-admits quarantined rows nor
  backfills, the checkpoint records nothing: a second `dbt build` on the same
  inputs adds no result rows and does not even import Great Expectations.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from classifier_monitor import contract
from classifier_monitor.gates import batches
from classifier_monitor.gates.results import result_rows, to_relation
from classifier_monitor.gates.suite import load_suite
from classifier_monitor.gates.validate import validate_suite

INFERENCE_INDEX = ["event_id", "ingested_at"]
LABEL_INDEX = ["event_id", "labeled_at", "ingested_at"]
ROLLUP_INDEX = ["hour", "model_name", "model_version", "slice_name", "slice_value"]


@dataclass(frozen=True)
class Settings:
    """The dbt vars the gates read (defaults in dbt_project.yml, docs/quality-gates.md)."""

    enabled: bool = True
    min_batch_rows: int = 100
    max_invalid_rate: float = 0.01
    max_duplicate_rate: float = 0.05
    max_correction_rate: float = 0.05
    class_scores_tolerance: float = 0.001
    event_time_epoch: datetime = datetime(2000, 1, 1)
    model_version_regex: str = r"^[A-Za-z0-9][A-Za-z0-9._+-]*$"
    severity: dict | None = None
    sample_rows: int = 5
    max_clock_skew_minutes: int = 5
    slice_columns: tuple = tuple(contract.SLICE_COLUMNS)
    numeric_features: tuple = tuple(contract.NUMERIC_FEATURES)
    categorical_features: tuple = tuple(contract.CATEGORICAL_FEATURES)
    rejudging: bool = False  # readmit_quarantined or a backfill window is set: staging re-judged old rows

    @classmethod
    def from_config(cls, config: dict | None) -> "Settings":
        """From the `quality_gate` config dict the models get from their YAML (rendered vars)."""
        config = dict(config or {})

        def listed(value):
            if value is None:
                return ()
            if isinstance(value, str):
                return tuple(part.strip() for part in value.split(",") if part.strip())
            return tuple(value)

        epoch = config.get("event_time_epoch", cls.event_time_epoch)
        if isinstance(epoch, str):
            epoch = datetime.fromisoformat(epoch)
        elif isinstance(epoch, date) and not isinstance(epoch, datetime):  # YAML reads 2000-01-01 as a date
            epoch = datetime(epoch.year, epoch.month, epoch.day)
        readmit = config.get("readmit_quarantined")
        return cls(
            enabled=str(config.get("enabled", True)).lower() not in ("false", "0", "no", "off"),
            min_batch_rows=int(config.get("min_batch_rows", cls.min_batch_rows)),
            max_invalid_rate=float(config.get("max_invalid_rate", cls.max_invalid_rate)),
            max_duplicate_rate=float(config.get("max_duplicate_rate", cls.max_duplicate_rate)),
            max_correction_rate=float(config.get("max_correction_rate", cls.max_correction_rate)),
            class_scores_tolerance=float(config.get("class_scores_tolerance", cls.class_scores_tolerance)),
            event_time_epoch=epoch,
            model_version_regex=str(config.get("model_version_regex", cls.model_version_regex)),
            severity=dict(config.get("severity") or {}),
            sample_rows=int(config.get("sample_rows", cls.sample_rows)),
            max_clock_skew_minutes=int(config.get("max_clock_skew_minutes", cls.max_clock_skew_minutes)),
            slice_columns=listed(config.get("slice_columns", cls.slice_columns)),
            numeric_features=listed(config.get("numeric_features", cls.numeric_features)),
            categorical_features=listed(config.get("categorical_features", cls.categorical_features)),
            rejudging=(bool(readmit) and str(readmit).lower() != "false")
            or config.get("backfill_start") is not None or config.get("backfill_end") is not None,
        )


def gate_params(settings: Settings, known_classes: list[str] | None = None) -> dict:
    """The values suite files reference with {"$param": ...}."""
    extra = set(contract.SLICE_COLUMNS + contract.NUMERIC_FEATURES + contract.CATEGORICAL_FEATURES)
    core = [column for column in contract.INFERENCE_COLUMNS if column not in extra]
    configured = list(settings.slice_columns) + list(settings.numeric_features) + list(settings.categorical_features)
    return {
        "inference_contract_columns": core + configured,
        "label_contract_columns": list(contract.LABEL_COLUMNS),
        "known_classes": list(known_classes or []),
        "quality_gate_max_invalid_rate": settings.max_invalid_rate,
        "quality_gate_max_duplicate_rate": settings.max_duplicate_rate,
        "quality_gate_max_correction_rate": settings.max_correction_rate,
        "quality_gate_event_time_epoch": settings.event_time_epoch,
        "quality_gate_model_version_regex": settings.model_version_regex,
        "class_scores_sum_min": 1.0 - settings.class_scores_tolerance,
        "class_scores_sum_max": 1.0 + settings.class_scores_tolerance,
        "max_clock_skew_seconds": settings.max_clock_skew_minutes * 60,
    }


@dataclass(frozen=True)
class PassedRun:
    staged_through: datetime | None
    counts_batch_through: int | None
    table_rows: int | None


def last_passed_run(connection, log, suite: str) -> PassedRun | None:
    """The watermarks of the newest run of `suite` in which no critical expectation failed."""
    if log is None:
        return None
    row = connection.execute(f"""
        with runs as (
            select
                run_id,
                max(validated_at) as validated_at,
                max(_staged_through) as staged_through,
                max(_counts_batch_through) as counts_batch_through,
                max(_table_rows) as table_rows,
                bool_and(success or severity <> 'critical') as passed
            from {batches.relation_sql(log)} as gate_log
            where suite = ?
            group by run_id
        )
        select staged_through, counts_batch_through, table_rows from runs
        where passed
        order by validated_at desc
        limit 1
    """, [suite]).fetchone()
    return None if row is None else PassedRun(*row)


def _scalar(connection, sql: str):
    return connection.execute(sql).fetchone()[0]


def _nothing_new(previous: PassedRun | None, table_rows: int, settings: Settings) -> bool:
    return previous is not None and previous.table_rows == table_rows and not settings.rejudging


def _run_context(run_id: str | None, validated_at: datetime | None):
    if run_id is None:
        from dbt_common.invocation import get_invocation_id

        run_id = get_invocation_id()
    if validated_at is None:
        validated_at = datetime.now(timezone.utc).replace(tzinfo=None)
    return run_id, validated_at


def run_inference_batch_gate(connection, *, staged, source, log, settings: Settings,
                             run_id: str | None = None, validated_at: datetime | None = None):
    """Validate the inference rows staged since the last passed run; return result rows (a relation)."""
    run_id, validated_at = _run_context(run_id, validated_at)
    if not settings.enabled:
        return to_relation(connection, [])
    previous = last_passed_run(connection, log, "inference_batch")
    table_rows = _scalar(connection, f"select count(*) from {batches.relation_sql(staged)} as staged_rows")
    if _nothing_new(previous, table_rows, settings):
        return to_relation(connection, [])
    staged_after = previous.staged_through if previous else None
    batch_sql = batches.inference_batch_sql(staged, staged_after)
    rows, start, end, staged_through = connection.execute(
        f"select count(*), min(event_time), max(event_time), max(_staged_at) from ({batch_sql}) as batch"
    ).fetchone()
    if rows == 0:
        return to_relation(connection, [])
    suite = load_suite("inference_batch", gate_params(settings), settings.severity)
    targets = {
        "source": batches.Target(batches.source_schema_sql(source), batches.relation_label(source)),
        "batch": batches.Target(batch_sql, batches.relation_label(staged), INFERENCE_INDEX, rows, start, end),
    }
    outcomes = validate_suite(connection, suite, targets, min_rows_for_rates=settings.min_batch_rows,
                              sample_rows=settings.sample_rows)
    watermarks = {"_staged_after": staged_after, "_staged_through": staged_through, "_table_rows": table_rows}
    return to_relation(connection, result_rows(suite, outcomes, run_id=run_id, validated_at=validated_at,
                                               watermarks=watermarks))


def run_label_batch_gate(connection, *, labels, inferences, source, known_classes: list[str], log,
                         settings: Settings, run_id: str | None = None, validated_at: datetime | None = None,
                         scratch_schema: str | None = None):
    """Validate the label rows of the events touched since the last passed run.
    With `scratch_schema` (quoted, e.g. '"db"."intermediate"'), the batch is
    computed once into a scratch table there
    (batches.materialized) instead of once per expectation."""
    run_id, validated_at = _run_context(run_id, validated_at)
    if not settings.enabled:
        return to_relation(connection, [])
    previous = last_passed_run(connection, log, "label_batch")
    # a new inference row can make an old label invalid (labeled before its inference), so both count
    table_rows = _scalar(connection, f"""
        select (select count(*) from {batches.relation_sql(labels)} as label_rows)
             + (select count(*) from {batches.relation_sql(inferences)} as inference_rows)""")
    if _nothing_new(previous, table_rows, settings):
        return to_relation(connection, [])
    staged_after = previous.staged_through if previous else None
    staged_through = _scalar(connection, f"""
        select greatest(
            (select max(_staged_at) from {batches.relation_sql(labels)} as label_rows),
            (select max(_staged_at) from {batches.relation_sql(inferences)} as inference_rows))""")
    scratch = f'{scratch_schema}."cm_gate_scratch_label_batch"' if scratch_schema else None
    with batches.materialized(connection, batches.label_batch_sql(labels, inferences, staged_after),
                              scratch) as batch_sql:
        rows, start, end = connection.execute(
            f"select count(*), min(labeled_at), max(labeled_at) from ({batch_sql}) as batch").fetchone()
        if rows == 0:
            return to_relation(connection, [])
        suite = load_suite("label_batch", gate_params(settings, known_classes), settings.severity)
        targets = {
            "source": batches.Target(batches.source_schema_sql(source), batches.relation_label(source)),
            "batch": batches.Target(batch_sql, batches.relation_label(labels), LABEL_INDEX, rows, start, end),
        }
        outcomes = validate_suite(connection, suite, targets, min_rows_for_rates=settings.min_batch_rows,
                                  sample_rows=settings.sample_rows)
    watermarks = {"_staged_after": staged_after, "_staged_through": staged_through, "_table_rows": table_rows}
    return to_relation(connection, result_rows(suite, outcomes, run_id=run_id, validated_at=validated_at,
                                               watermarks=watermarks))


def run_rollup_reconciliation_gate(connection, *, confusion, metrics, ingestion, log, settings: Settings,
                                   run_id: str | None = None, validated_at: datetime | None = None):
    """Reconcile the hours the marts rewrote since the last passed run, and raw vs staged rows."""
    run_id, validated_at = _run_context(run_id, validated_at)
    if not settings.enabled:
        return to_relation(connection, [])
    previous = last_passed_run(connection, log, "rollup_reconciliation")
    counts_batch_through = _scalar(connection, f"""
        select coalesce(greatest(
            (select max(_batch_id) from {batches.relation_sql(confusion)} as confusion),
            (select max(_batch_id) from {batches.relation_sql(metrics)} as metrics)), 0)""")
    after = previous.counts_batch_through if previous and previous.counts_batch_through is not None else 0
    if after > counts_batch_through:
        after = 0  # the rollups were rebuilt and their batches restarted: reconcile everything
    ingestion_rows = batches.ingestion_rows(connection, ingestion)
    table_rows = sum(row[1] or 0 for row in ingestion_rows)
    hours_sql = batches.changed_hours_sql(confusion, metrics, after)
    first_hour, last_hour = connection.execute(f"select min(hour), max(hour) from ({hours_sql}) as hours").fetchone()
    if first_hour is None and _nothing_new(previous, table_rows, settings):
        return to_relation(connection, [])
    keys_sql = batches.rollup_keys_sql(confusion, metrics, after)
    key_rows = _scalar(connection, f"select count(*) from ({keys_sql}) as keys")
    suite = load_suite("rollup_reconciliation", gate_params(settings), settings.severity)
    targets = {
        "rollups": batches.Target(keys_sql, f"{batches.relation_label(confusion)} vs {batches.relation_label(metrics)}",
                                  ROLLUP_INDEX, key_rows, first_hour, last_hour),
        "ingestion": batches.Target(batches.ingestion_sql(ingestion_rows), batches.relation_label(ingestion),
                                    ["input_table"], len(ingestion_rows)),
    }
    outcomes = validate_suite(connection, suite, targets, min_rows_for_rates=settings.min_batch_rows,
                              sample_rows=settings.sample_rows)
    watermarks = {"_counts_batch_through": counts_batch_through, "_table_rows": table_rows}
    return to_relation(connection, result_rows(suite, outcomes, run_id=run_id, validated_at=validated_at,
                                               watermarks=watermarks))
