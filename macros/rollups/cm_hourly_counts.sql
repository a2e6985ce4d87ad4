{#-
  The prediction counts a mart reads: only the changed hours on an incremental
  run, everything on a full build. Marts recompute whole hours from these
  additive counts, so a recomputed hour is always exactly its full-build value.
-#}
{% macro cm_hourly_counts(counts_relation) %}
    select * from {{ counts_relation }}
    {% if is_incremental() -%}
    where hour in ({{ cm_changed_hours(this, counts_relation) }})
    {%- endif %}
{% endmacro %}

{#- The upstream batch a mart row was computed from: its incremental watermark. -#}
{% macro cm_consumed_batch(counts_relation) -%}
    (select coalesce(max(_batch_id), 0) from {{ counts_relation }})
{%- endmacro %}
