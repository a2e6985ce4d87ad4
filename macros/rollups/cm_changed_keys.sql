{#-
  The keys a count mart must recompute: the distinct `key_columns` of the
  upstream rows written by a batch newer than the newest batch the mart has
  consumed, plus every row of the backfill window. A confusion-matrix cell is
  recomputed when its own count changed; a metric of a group (hour, model,
  version, slice) when any cell of the group changed. Late labels spread over
  weeks touch most hours but a third of the groups and a few percent of the
  cells, so this recomputes a fraction of what whole hours would (measured at
  10M rows, one more hour with 10,000 late labels: 30,000 of 945,000 cells,
  4,900 of 14,000 groups, 563 of 721 hours).
  If the upstream's batches restarted (it was rebuilt on its own), every key is
  recomputed: recomputing is idempotent, missing a change is not.
-#}
{% macro cm_changed_keys(target, upstream, key_columns) %}
    {%- set backfill = cm_backfill_predicate('hour') -%}
    {%- set consumed = cm_query_value("select max(_batch_id) from " ~ target, 0) -%}
    select distinct {{ key_columns | join(', ') }} from {{ upstream }}
    where _batch_id > {{ consumed }}
        {%- if cm_upstream_restarted(target, upstream) %}
        or true
        {%- endif %}
        {%- if backfill %}
        or ({{ backfill }})
        {%- endif %}
{% endmacro %}

{#- Whether `upstream`'s batch ids went back below what `target` consumed: it
    was rebuilt without its consumers, so the consumer starts over. -#}
{% macro cm_upstream_restarted(target, upstream) %}
    {{ return(cm_query_value("select max(_batch_id) from " ~ upstream, 0)
              < cm_query_value("select max(_batch_id) from " ~ target, 0)) }}
{% endmacro %}

{#-
  The upstream count rows a mart reads: on an incremental run only the rows of
  the changed keys (cm_changed_keys), everything on a full build. Marts
  recompute whole keys from these additive counts, so a recomputed row is
  always exactly its full-build value. `rows_relation` reads the rows of those
  keys from another relation instead (a mart that is current, e.g. the class
  metrics the model metrics average).
-#}
{% macro cm_changed_counts(counts_relation, key_columns, rows_relation=none) %}
    select changed_rows.* from {{ rows_relation if rows_relation is not none else counts_relation }} as changed_rows
    {% if is_incremental() -%}
    inner join ({{ cm_changed_keys(this, counts_relation, key_columns) }}) as changed
        on {% for key in key_columns -%}
        changed.{{ key }} = changed_rows.{{ key }}{{ ' and ' if not loop.last }}
        {%- endfor %}
    {%- endif %}
{% endmacro %}

{#- The upstream batch a mart row was computed from: its incremental watermark. -#}
{% macro cm_consumed_batch(counts_relation) -%}
    (select coalesce(max(_batch_id), 0) from {{ counts_relation }})
{%- endmacro %}

{#- Whether `relation` (a mart with a _batch_id watermark) exists and has
    consumed the newest batch of `upstream`, so its rows are current and another
    mart may read them instead of recomputing them. False while dbt parses. -#}
{% macro cm_has_consumed_newest_batch(relation, upstream) %}
    {%- if not (cm_relation_exists(relation) and cm_relation_exists(upstream)) -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(cm_query_value("select max(_batch_id) from " ~ relation, -1)
              == cm_query_value("select max(_batch_id) from " ~ upstream, 0)) }}
{% endmacro %}
