{#-
  Incremental strategy `replace_where`: delete the target rows matching the
  predicate macro named by the model's `replace_predicate` config, then insert
  the recomputed rows. Like `replace_keys`, for tables whose
  changed set is not "hours an upstream batch wrote": the SLI tables (hours
  changed by staging, the state log or label maturity), the daily rollup
  (days) and the SLO status (evaluation hours whose windows changed). The
  predicate is evaluated before the delete, as the model's own select did.
-#}
{% macro get_incremental_replace_where_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set predicate = context.get(config.get('replace_predicate') or '') -%}
    {%- if not predicate -%}
        {{ exceptions.raise_compiler_error("incremental_strategy 'replace_where' needs config replace_predicate, the name of a predicate macro") }}
    {%- endif -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where {{ predicate(target) }};

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{% endmacro %}
