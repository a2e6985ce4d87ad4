{#-
  Which drift windows a model must recompute on this run.

  int_drift_window_log appends, per run, every window whose statistics may have
  changed, with its `kind`: 'features' (accepted inferences changed, so feature
  and prediction statistics) or 'labels' (labels changed, so label drift), and
  whether the window's own inputs changed (`own_inputs_changed`) or only its
  reference did. Every consumer stores the newest log batch it has applied in
  `_window_batch` and recomputes the windows logged after it. If the log's
  batches restarted (it was rebuilt on its own), everything is recomputed:
  recomputing is idempotent, missing a change is not.
-#}

{#- The kind of a drift row, from its feature_type: label rows follow label changes. -#}
{% macro cm_drift_kind(feature_type_expression) -%}
    case when {{ feature_type_expression }} = 'label' then 'labels' else 'features' end
{%- endmacro %}

{#- The newest log batch: the watermark written on every row a consumer (re)writes. -#}
{% macro cm_drift_log_batch() -%}
    (select coalesce(max(batch_id), 0) from {{ ref('int_drift_window_log') }})
{%- endmacro %}

{#- True when the log restarted below what the target has already applied. -#}
{% macro cm_drift_log_restarted(target) -%}
    ({{ cm_drift_log_batch() }} < (select coalesce(max(_window_batch), 0) from {{ target }}))
{%- endmacro %}

{#-
  (window_start, kind) pairs to recompute for `target`.
    kinds:            the kinds the model holds ('features', 'labels')
    own_inputs_only:  models that only aggregate a window's own rows skip windows
                      logged because their reference changed
-#}
{% macro cm_drift_recompute_windows(target, kinds=['features', 'labels'], own_inputs_only=false) -%}
    select window_start, kind
    from {{ ref('int_drift_window_log') }}
    where kind in ('{{ kinds | join("', '") }}')
        and (batch_id > (select coalesce(max(_window_batch), 0) from {{ target }})
            or {{ cm_drift_log_restarted(target) }})
        {%- if own_inputs_only %}
        and own_inputs_changed
        {%- endif %}
    group by window_start, kind
{%- endmacro %}
