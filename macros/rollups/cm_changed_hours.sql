{#-
  The hours a mart must recompute: hours whose upstream rows were written by a
  batch newer than the newest batch the mart has consumed, plus the backfill
  window. If the upstream's batches restarted (it was rebuilt on its own),
  every hour is recomputed: recomputing is idempotent, missing a change is not.
-#}
{% macro cm_changed_hours(target, upstream) %}
    {%- set backfill = cm_backfill_predicate('hour') -%}
    {%- set consumed = cm_query_value("select max(_batch_id) from " ~ target, 0) -%}
    {%- set available = cm_query_value("select max(_batch_id) from " ~ upstream, 0) -%}
    select distinct hour from {{ upstream }}
    where _batch_id > {{ consumed }}
        {%- if available < consumed %}
        or true
        {%- endif %}
        {%- if backfill %}
        or ({{ backfill }})
        {%- endif %}
{% endmacro %}

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
