{#- A ratio that is null, never 0 and never an error, when the denominator is 0 or null. -#}
{% macro cm_safe_divide(numerator, denominator) %}
    {{ return(adapter.dispatch('cm_safe_divide', 'classifier_monitor')(numerator, denominator)) }}
{% endmacro %}

{% macro default__cm_safe_divide(numerator, denominator) -%}
    case
        when ({{ denominator }}) is null or ({{ denominator }}) = 0 then null
        else cast(({{ numerator }}) as {{ cm_type_double() }}) / ({{ denominator }})
    end
{%- endmacro %}
