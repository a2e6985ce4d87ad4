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
  The wide reads (the logged state, the class scores) also match the event_time
  of the rows they want, so zone maps confine them to the span of the touched
  events' times: their cost follows how far back labels reach, not the history.
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

-- the log rows of the touched events, key columns only: the lookup scans the
-- key column of the whole log, and the columns it returns are decoded for
-- every vector a match (or a false positive of the Bloom filter) falls in
logged_keys as (
    select _key_hash, batch_id, event_time
    from {{ this }}
    where _key_hash in (select _key_hash from touched_events where _key_hash is not null)
),

-- the latest log row of each touched event (an event has at most one log row
-- per batch). A group-by, not row_number() = 1: DuckDB turns the latter into
-- an arg_max plus a second scan of the whole log to fetch the winning rows
latest_logged as (
    select _key_hash, max(batch_id) as batch_id
    from logged_keys
    group by _key_hash
),

-- the state of those rows, with the constants of the inference the log
-- carries (event_time, the Brier term of the predicted class). This second
-- lookup also tests the event_time found above, so DuckDB pushes the span of
-- the touched events' times (zone maps skip the row groups logged outside it)
-- and a second Bloom filter into the scan (measured at 20M log rows, one
-- thread, warm: the model's statement takes 0.60 s instead of 0.76 s with one
-- wide lookup)
logged_states as (
    select
        _key_hash,
        batch_id,
        event_time,
        _predicted_brier_e9,
        {% for column in state -%}
        {{ column }}{{ ',' if not loop.last }}
        {% endfor -%}
    from {{ this }}
    where _key_hash in (select _key_hash from logged_keys where _key_hash is not null)
        and event_time in (select event_time from logged_keys where event_time is not null)
),

previous_states as (
    select
        logged_states._key_hash,
        logged_states.event_time,
        logged_states._predicted_brier_e9,
        {% for column in state -%}
        logged_states.{{ column }}{{ ',' if not loop.last }}
        {% endfor -%}
    from logged_states
    inner join latest_logged
        on latest_logged._key_hash = logged_states._key_hash and latest_logged.batch_id = logged_states.batch_id
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
-- JSON text, and the rows of late labels are scattered; DuckDB decodes such
-- text per vector even to skip it, and a Bloom filter of the keys lets false
-- positives through to nearly every vector. So the lookup also tests the
-- event_time the log carries, as a second semi join: DuckDB pushes its min and
-- max into the scan, zone maps skip the row groups staged outside the span of
-- the late labels, and a second Bloom filter drops most false positives of the
-- first (measured at 20M rows, one thread, warm: the model's statement takes
-- 0.75 s instead of 1.15 s; one join on both columns pushes no Bloom filter
-- and takes 1.24 s).
-- An old label widens the span, which costs time, never correctness.
mispredicted as (
    select relabeled_events._key_hash, relabeled_events.event_time
    from relabeled_events
    inner join labels on labels._key_hash = relabeled_events._key_hash
    where labels.label <> relabeled_events.predicted_class
),

mispredicted_scores as (
    select _key_hash, class_scores
    from {{ ref('stg_inference_events') }}
    where _key_hash in (select _key_hash from mispredicted where _key_hash is not null)
        and event_time in (select event_time from mispredicted where event_time is not null)
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
            select {{ cm_newest_value(ref('stg_inference_rows'), '_staged_at') }} as staged_at
            union all
            select {{ cm_newest_value(ref('stg_label_rows'), '_staged_at') }} as staged_at
        ) as staged
    ) as _staged_through
from changed_states
