{#-
  Incremental strategy `replace_windows` for the drift models: delete every row
  of the drift windows to recompute (cm_drift_recompute_windows, evaluated
  before the delete exactly as the model's select evaluated it), then insert the
  recomputed rows. Rows are matched on window_start and, in models holding
  both kinds, on their kind (cm_drift_kind of feature_type), so a label change
  does not rewrite feature rows. A restarted window log clears the whole table first. Configs:
    drift_kinds            kinds the model holds (default both)
    drift_own_inputs_only  true for models that aggregate only a window's own rows
  Plain DELETE and INSERT: portable.
-#}
{% macro get_incremental_replace_windows_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set kinds = config.get('drift_kinds', ['features', 'labels']) -%}
    {%- set own_inputs_only = config.get('drift_own_inputs_only', false) -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where {{ cm_drift_log_restarted(target) }}
        {%- for kind in kinds %}
        or ({{ (cm_drift_kind('feature_type') ~ " = '" ~ kind ~ "' and ") if kinds | length > 1 }}window_start in (
            select window_start
            from ({{ cm_drift_recompute_windows(target, [kind], own_inputs_only) }}) as recompute
        ))
        {%- endfor %};

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{% endmacro %}
