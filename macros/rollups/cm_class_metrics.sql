{#-
  Per-class one-vs-rest counts and metrics for every hourly key, from additive
  prediction counts. Classes are those seen among labeled predictions of the
  group, as label or as prediction. 0/0 is null (cm_safe_divide).
-#}
{% macro cm_class_metrics(counts_relation) %}
    {%- set group_keys = cm_mart_group_keys() -%}
    with

    labeled as (
        select * from {{ counts_relation }}
        where actual_class is not null and n > 0
    ),

    group_totals as (
        select {{ group_keys | join(', ') }}, sum(n) as n_labeled
        from labeled
        group by {{ group_keys | join(', ') }}
    ),

    by_actual as (
        select
            {{ group_keys | join(', ') }},
            actual_class as class,
            sum(n) as support,
            sum(case when actual_class = predicted_class then n else 0 end) as tp
        from labeled
        group by {{ group_keys | join(', ') }}, actual_class
    ),

    by_predicted as (
        select {{ group_keys | join(', ') }}, predicted_class as class, sum(n) as predicted
        from labeled
        group by {{ group_keys | join(', ') }}, predicted_class
    ),

    per_class as (
        select
            {% for key in group_keys + ['class'] -%}
            coalesce(by_actual.{{ key }}, by_predicted.{{ key }}) as {{ key }},
            {% endfor -%}
            coalesce(by_actual.tp, 0) as tp,
            coalesce(by_actual.support, 0) as support,
            coalesce(by_predicted.predicted, 0) as predicted
        from by_actual
        full outer join by_predicted
            on {% for key in group_keys + ['class'] -%}
            by_predicted.{{ key }} = by_actual.{{ key }}{{ ' and ' if not loop.last }}
            {%- endfor %}
    ),

    counted as (
        select
            per_class.*,
            per_class.predicted - per_class.tp as fp,
            per_class.support - per_class.tp as fn,
            group_totals.n_labeled - per_class.predicted - per_class.support + per_class.tp as tn,
            group_totals.n_labeled
        from per_class
        inner join group_totals
            on {% for key in group_keys -%}
            group_totals.{{ key }} = per_class.{{ key }}{{ ' and ' if not loop.last }}
            {%- endfor %}
    )

    select
        {{ group_keys | join(', ') }},
        class,
        cast(tp as {{ dbt.type_bigint() }}) as tp,
        cast(fp as {{ dbt.type_bigint() }}) as fp,
        cast(fn as {{ dbt.type_bigint() }}) as fn,
        cast(tn as {{ dbt.type_bigint() }}) as tn,
        cast(support as {{ dbt.type_bigint() }}) as support,
        cast(predicted as {{ dbt.type_bigint() }}) as predicted,
        {{ cm_safe_divide('tp', 'predicted') }} as precision,
        {{ cm_safe_divide('tp', 'support') }} as recall,
        {{ cm_safe_divide('2 * tp', '2 * tp + fp + fn') }} as f1
    from counted
{% endmacro %}
