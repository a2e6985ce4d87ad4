{#-
  Incremental strategy `replace_hours` for the hourly marts: delete every row of
  the hours that changed upstream, then insert the recomputed rows. Unlike
  delete+insert on a unique key it also clears an hour whose rows all vanished.
  The changed hours come from cm_changed_hours over the relation named by the
  model's `changed_hours_from` config, evaluated before the delete, exactly as
  the model's own select evaluated it. Plain DELETE and INSERT: portable.
-#}
{% macro get_incremental_replace_hours_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source_name = config.get('changed_hours_from') -%}
    {%- if not source_name -%}
        {{ exceptions.raise_compiler_error("incremental_strategy 'replace_hours' needs config changed_hours_from") }}
    {%- endif -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where hour in ({{ cm_changed_hours(target, ref(source_name)) }});

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{% endmacro %}
