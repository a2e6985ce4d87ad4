{#-
  The hours a mart must recompute: hours whose upstream rows were written by a
  batch newer than the newest batch the mart has consumed, plus the backfill
  window. If the upstream's batches restarted (it was rebuilt on its own),
  every hour is recomputed: recomputing is idempotent, missing a change is not.
-#}
{% macro cm_changed_hours(target, upstream) %}
    {%- set backfill = cm_backfill_predicate('hour') -%}
    select distinct hour from {{ upstream }}
    where _batch_id > (select coalesce(max(_batch_id), 0) from {{ target }})
        or (select coalesce(max(_batch_id), 0) from {{ upstream }})
            < (select coalesce(max(_batch_id), 0) from {{ target }})
        {%- if backfill %}
        or ({{ backfill }})
        {%- endif %}
{% endmacro %}
