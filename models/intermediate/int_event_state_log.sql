-- depends_on: {{ ref('int_quality_gate_batch_verdict') }}
{# (no whitespace control on this tag: a `-- depends_on:` line above it must keep its line break)
  An append-only log of event states: one row each time an event's countable
  state (cm_state_columns) first appears or changes - a new inference, its first
  label, a corrected label. Each row carries the state it replaces (prev_*), so a
  consumer can turn any run of log rows into exact +1/-1 deltas, even if it
  missed runs. The latest row per event_id is the event's current state.

  Cost of an incremental run: the events whose staged rows were (re)written since
  the newest log row. Re-staged inferences are the newest staged rows (found by
  _staged_at, so zone maps skip the history). An older event that only got a
  label takes everything from its last logged state, which carries the
  inference's event_time and the Brier term of its predicted class, and reads
  the class scores of its staged inference only when the label is not the
  predicted class. The lookups still scan a key column of the history (DuckDB
  has no index joins): the fixed-width _key_hash (cm_key_hash), not the key
  strings. Their build sides carry a filter, so DuckDB pushes a Bloom filter of
  the keys into the scan and decodes the other columns of the matching rows only.
-#}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail'
    )
}}

{%- set state = cm_state_columns() -%}
{#- the state columns an inference gives as they are; the others need its label -#}
{%- set inference_columns = state | reject('in', ['actual_class', 'score_micro', 'brier_e9', 'label_delay_bucket']) | list -%}

with

{% if is_incremental() %}
{%- set last_batch = cm_query_value("select max(batch_id) from " ~ this, 0) -%}
{%- set staged_through = cm_query_value("select max(_staged_through) from " ~ this, '1900-01-01 00:00:00') -%}
{%- set since = cm_timestamp_literal(staged_through) -%}
{#- The row counts of the two newest-rows reads, as LIMITs that cut nothing: a
    planner cannot estimate a range filter on _staged_at, guesses millions,
    and then hashes the 10M-row side of the id lookups below instead of the
    small one (measured: 1.45 s instead of 0.86 s at 10M rows). -#}
{%- set restaged_rows = cm_query_value("select count(*) from " ~ ref('stg_inference_rows') ~ " where _staged_at > " ~ since, 0) -%}
{%- set relabeled_rows = cm_query_value("select count(*) from " ~ ref('stg_label_rows') ~ " where _staged_at > " ~ since, 0) %}
previous_run as (
    select cast({{ last_batch }} as {{ dbt.type_bigint() }}) as batch_id
),

-- accepted inferences (re)staged since the last run: new events, and events
-- whose raw rows were re-judged (all rows of a re-judged key are re-staged, so
-- they are the newest staged rows and zone maps on _staged_at skip the rest)
restaged_inferences as (
    select * from {{ ref('stg_inference_events') }}
    where _staged_at > {{ since }}
    limit {{ restaged_rows | int + 1 }}
),

-- (with their key hashes: the lookups below find events by _key_hash, the
-- fixed-width md5 of the key staging stores, a third cheaper to scan than the
-- key strings; an event_id is read from these new rows only, never from the
-- scattered rows a lookup matches, where decoding the strings would cost as
-- much as scanning them)
touched_events as (
    select _key_hash, event_id from restaged_inferences
    union
    select * from (
        select _key_hash, event_id from {{ ref('stg_label_rows') }}
        where _staged_at > {{ since }} and event_id is not null
        limit {{ relabeled_rows | int + 1 }}
    ) as relabeled
),

-- (`where _key_hash is not null` on the key side of a lookup is not only
-- hygiene: DuckDB pushes a Bloom filter of the keys into the scan of the big
-- side only when the key side has a filter; measured at 20M rows, the model
-- takes 1.0 s instead of 1.5 s)

-- the last logged state of each touched event, with the constants of its
-- inference the log carries (event_time, the Brier term of the predicted
-- class). A max over the partition, not row_number() = 1: DuckDB turns the
-- latter into an arg_max plus a second scan of the whole log to fetch the
-- winning rows by row id (an event has at most one log row per batch, so
-- batch_id = the max is the latest row)
logged_states as (
    select
        logged._key_hash,
        logged.batch_id,
        logged.event_time,
        logged._predicted_brier_e9,
        {% for column in state -%}
        logged.{{ column }},
        {% endfor -%}
        max(logged.batch_id) over (partition by logged._key_hash) as latest_batch_id
    from {{ this }} as logged
    where logged._key_hash in (select _key_hash from touched_events where _key_hash is not null)
),

previous_states as (
    select
        _key_hash,
        event_time,
        _predicted_brier_e9,
        {% for column in state -%}
        {{ column }}{{ ',' if not loop.last }}
        {% endfor -%}
    from logged_states
    where batch_id = latest_batch_id
),

-- (only the columns the state needs: see touched_events)
labels as (
    select _key_hash, label, labeled_at from {{ ref('stg_label_events') }}
    where _key_hash in (select _key_hash from touched_events where _key_hash is not null)
),

-- logged events whose inference was not re-staged: only their label changed,
-- so their inference is the one logged, and so is everything the state needs
-- from it (grouping columns, score, event_time, the predicted class's Brier
-- term) ...
relabeled_events as (
    select touched_events.event_id, previous_states.*
    from previous_states
    inner join touched_events on touched_events._key_hash = previous_states._key_hash
    where previous_states._key_hash not in (select _key_hash from restaged_inferences)
),

-- ... except the class scores of an event whose label is not its predicted
-- class (its Brier term needs the score of the labeled class): the only read
-- of the staged inferences, for about a fifth of the late labels. Scores are
-- JSON text, and the rows of late labels are scattered over the whole table;
-- DuckDB decodes such text per vector even to skip it, and the Bloom filter's
-- false positives reach nearly every vector (at 10M rows, one thread: 0.65 s
-- for 2,200 events, about the whole scores column's worth).
mispredicted_scores as (
    select _key_hash, class_scores
    from {{ ref('stg_inference_events') }}
    where _key_hash in (
        select relabeled_events._key_hash
        from relabeled_events
        inner join labels on labels._key_hash = relabeled_events._key_hash
        where labels.label <> relabeled_events.predicted_class and relabeled_events._key_hash is not null
    )
),

relabeled_inferences as (
    select
        relabeled_events.event_id,
        relabeled_events._key_hash,
        relabeled_events.event_time,
        {% for column in inference_columns -%}
        relabeled_events.{{ column }},
        {% endfor -%}
        relabeled_events.score_micro,
        relabeled_events._predicted_brier_e9,
        mispredicted_scores.class_scores
    from relabeled_events
    left join mispredicted_scores on mispredicted_scores._key_hash = relabeled_events._key_hash
),

inferences as (
    {{ cm_inference_state_inputs('restaged_inferences', inference_columns) }}
    union all
    select * from relabeled_inferences
),

{% else %}
previous_run as (
    select 0 as batch_id
),

inferences as (
    {{ cm_inference_state_inputs(ref('stg_inference_events'), inference_columns) }}
),

labels as (
    select * from {{ ref('stg_label_events') }}
),
{% endif %}

current_states as (
    select
        inferences.event_id,
        inferences._key_hash,
        inferences.event_time,
        inferences._predicted_brier_e9,
        {% for column in state -%}
        {{ cm_state_column_expression(column, 'inferences', 'labels') }} as {{ column }}{{ ',' if not loop.last }}
        {% endfor -%}
    from inferences
    left join labels on labels._key_hash = inferences._key_hash
),

changed_states as (
    select
        current_states.*,
        {% if is_incremental() -%}
        previous_states._key_hash is not null as has_prev,
        {% for column in state -%}
        previous_states.{{ column }} as prev_{{ column }}{{ ',' if not loop.last }}
        {% endfor -%}
        {%- else -%}
        false as has_prev,
        {% for column in state -%}
        cast(null as {{ cm_state_column_type(column) }}) as prev_{{ column }}{{ ',' if not loop.last }}
        {% endfor -%}
        {%- endif %}
    from current_states
    {% if is_incremental() -%}
    left join previous_states on previous_states._key_hash = current_states._key_hash
    where previous_states._key_hash is null
        {% for column in state -%}
        or current_states.{{ column }} is distinct from previous_states.{{ column }}
        {% endfor -%}
    {%- endif %}
)

select
    cast((select batch_id from previous_run) + 1 as {{ dbt.type_bigint() }}) as batch_id,
    changed_states.*,
    (
        select max(staged_at) from (
            select max(_staged_at) as staged_at from {{ ref('stg_inference_rows') }}
            union all
            select max(_staged_at) as staged_at from {{ ref('stg_label_rows') }}
        ) as staged
    ) as _staged_through
from changed_states
