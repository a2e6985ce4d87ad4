"""The rows each checkpoint validates, as SQL over the dbt relations (DuckDB).

The gates run in dbt Python models on DuckDB (Great Expectations' SQL engine
on the model's own connection), so these queries are DuckDB SQL. Each one
filters first (on a watermark that zone maps prune) and derives afterwards,
so an incremental run reads the new rows, not the history.

Watermarks:
* batch suites: ``_staged_at``, the run marker staging writes on every row it
  (re)classifies. Staging re-reads every raw row of a touched event_id
  together, so a window over ``_staged_at`` always holds complete events.
* reconciliation: ``_batch_id``, the rollup batch the marts were computed from.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Target:
    """One relation a suite validates."""

    sql: str                      # query returning the rows
    table_name: str               # where the rows come from, for messages and the results table
    index_columns: list[str] = field(default_factory=list)  # identify offending rows in samples
    rows: int | None = None       # row count; None for schema-only targets
    start: datetime | None = None  # first / last time the rows cover (event_time, labeled_at, hour)
    end: datetime | None = None


def timestamp_literal(value: datetime) -> str:
    return f"timestamp '{value.strftime('%Y-%m-%d %H:%M:%S.%f')}'"


def _after(column: str, bound: datetime | None) -> str:
    return "true" if bound is None else f"{column} > {timestamp_literal(bound)}"


def _seconds_between(start: str, end: str) -> str:
    # exact to the microsecond, like the staging rule `end > start + skew`
    return f"(epoch_us({end}) - epoch_us({start})) / 1e6"


def relation_sql(relation) -> str:
    """A dbt-duckdb relation (what dbt.ref/dbt.source return) or a table name, as a subquery."""
    if isinstance(relation, str):
        return relation
    return f"({relation.sql_query()})"


def relation_label(relation) -> str:
    """schema.table of a relation, for people (drops the database name and quoting)."""
    text = relation if isinstance(relation, str) else relation.sql_query()
    name = text.strip().split()[-1] if text.lower().lstrip().startswith("select") else text
    parts = [part.strip('"') for part in name.split(".")]
    return ".".join(parts[-2:])


def source_schema_sql(source) -> str:
    """The raw table's columns without reading a row."""
    return f"select * from {relation_sql(source)} as source_rows limit 0"


def inference_batch_sql(staged, staged_after: datetime | None) -> str:
    """Staged inference rows (every status) staged after the watermark, with the derived columns."""
    return f"""
        select
            event_id, event_time, ingested_at, model_name, model_version, predicted_class,
            predicted_score, status, reason,
            -- null when there is no vector or its JSON does not parse (quarantined: invalid_class_scores)
            try(list_sum(cast(json_extract(class_scores, '$.*') as double[]))) as class_scores_sum,
            {_seconds_between('ingested_at', 'event_time')} as event_time_lead_seconds,
            coalesce(status = 'duplicate' or reason = 'conflicting_duplicate', false) as is_duplicate,
            _staged_at
        from {relation_sql(staged)} as staged_rows
        where {_after('_staged_at', staged_after)}
    """


@contextmanager
def materialized(connection, sql: str, table: str | None):
    """Yield a query over the rows of `sql`, computed once into the scratch table
    `table` (dropped afterwards), or `sql` itself when there is no scratch table.

    Great Expectations evaluates its batch query once per expectation; a batch
    query that finds its rows in the whole history (e.g. the label rows of the
    touched events) would scan the history once per expectation. The scratch
    table is written through `connection` outside any transaction, so the
    cursors GX opens on the same database see it.
    """
    if table is None:
        yield sql
        return
    connection.execute(f"create or replace table {table} as select * from ({sql}) as batch_rows")
    try:
        yield f"select * from {table}"
    finally:
        connection.execute(f"drop table if exists {table}")


def label_batch_sql(labels, inferences, staged_after: datetime | None) -> str:
    """Label rows of the events touched after the watermark (a new label row or a new inference
    row), with the accepted inference's event_time and the derived columns."""
    return f"""
        with touched as (
            select _key_hash from {relation_sql(labels)} as label_rows where {_after('_staged_at', staged_after)}
            union
            select _key_hash from {relation_sql(inferences)} as inference_rows
            where {_after('_staged_at', staged_after)}
        ),

        -- looked up by the fixed-width key hash: the scan of the history's keys is cheaper.
        -- The lookup reads key and ingested_at only; the full rows are then fetched by
        -- both, so DuckDB pushes a Bloom filter of exact timestamps into the second scan
        -- and decodes the wide columns of the rows' own vectors only (a key filter alone
        -- lets about 1% of all rows through, enough to decode nearly every vector)
        label_keys as (
            select _key_hash, ingested_at from {relation_sql(labels)} as label_rows
            where _key_hash in (select _key_hash from touched where _key_hash is not null)
        ),

        label_rows as (
            select * from {relation_sql(labels)} as label_rows
            where _key_hash in (select _key_hash from label_keys where _key_hash is not null)
                and ingested_at in (select ingested_at from label_keys where ingested_at is not null)
            union all
            -- (rows without an ingested_at, quarantined: zone maps find them by their nulls)
            select * from {relation_sql(labels)} as label_rows
            where ingested_at is null
                and _key_hash in (select _key_hash from label_keys where _key_hash is not null)
        ),

        accepted_inferences as (
            select _key_hash, event_time from {relation_sql(inferences)} as inference_rows
            where status = 'accepted' and _key_hash in (select _key_hash from touched where _key_hash is not null)
        ),

        ordered as (
            select
                label_rows.*,
                accepted_inferences.event_time,
                -- the valid label this row replaced, in the order staging applies labels
                case when label_rows.status <> 'quarantined' then lag(label_rows.label) over (
                    partition by label_rows._key_hash, label_rows.status = 'quarantined'
                    order by label_rows.labeled_at, label_rows.ingested_at, label_rows._content_hash
                ) end as previous_label
            from label_rows
            left join accepted_inferences on accepted_inferences._key_hash = label_rows._key_hash
        )

        select
            event_id, label, labeled_at, ingested_at, label_source, status, reason, event_time,
            {_seconds_between('ingested_at', 'labeled_at')} as labeled_at_lead_seconds,
            case when status <> 'quarantined' then previous_label is not null and previous_label <> label end
                as is_correction,
            _staged_at
        from ordered
    """


def changed_hours_sql(confusion, metrics, after_batch_id: int) -> str:
    return f"""
        select distinct hour from {relation_sql(confusion)} as confusion where _batch_id > {int(after_batch_id)}
        union
        select distinct hour from {relation_sql(metrics)} as metrics where _batch_id > {int(after_batch_id)}
    """


def rollup_keys_sql(confusion, metrics, after_batch_id: int) -> str:
    """Every hourly key of the hours the marts rewrote after `after_batch_id`: the confusion
    matrix's sum beside the model metrics' labeled count (0 where a side has no row)."""
    keys = ["hour", "model_name", "model_version", "slice_name", "slice_value"]
    key_list = ", ".join(keys)
    coalesced = ",\n            ".join(f"coalesce(confusion.{key}, labeled.{key}) as {key}" for key in keys)
    joined = " and ".join(f"labeled.{key} = confusion.{key}" for key in keys)
    return f"""
        with changed_hours as (
            {changed_hours_sql(confusion, metrics, after_batch_id)}
        ),

        confusion as (
            select {key_list}, cast(sum(n) as bigint) as confusion_n
            from {relation_sql(confusion)} as confusion_rows
            where hour in (select hour from changed_hours)
            group by {key_list}
        ),

        labeled as (
            select {key_list}, n_labeled
            from {relation_sql(metrics)} as metric_rows
            where hour in (select hour from changed_hours) and n_labeled > 0
        )

        select
            {coalesced},
            coalesce(confusion.confusion_n, 0) as confusion_n,
            coalesce(labeled.n_labeled, 0) as n_labeled
        from confusion
        full outer join labeled on {joined}
    """


INGESTION_COLUMNS = ["input_table", "raw_rows", "staged_rows", "duplicate_rows", "quarantined_rows",
                     "unaccounted_rows"]


def ingestion_rows(connection, reconciliation) -> list[tuple]:
    """The reconciliation view's rows, read once: it counts whole tables, and GX would
    evaluate it again for every metric."""
    return connection.execute(f"select {', '.join(INGESTION_COLUMNS)} from {relation_sql(reconciliation)} "
                              f"as reconciliation order by input_table").fetchall()


def _literal(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return str(int(value))


def ingestion_sql(rows: list[tuple]) -> str:
    """Those rows as a constant relation for GX."""
    if not rows:
        casts = ", ".join(f"cast(null as {'varchar' if c == 'input_table' else 'bigint'}) as {c}"
                          for c in INGESTION_COLUMNS)
        return f"select {casts} where false"
    values = ", ".join("(" + ", ".join(_literal(value) for value in row) + ")" for row in rows)
    return f"select * from (values {values}) as reconciliation({', '.join(INGESTION_COLUMNS)})"
