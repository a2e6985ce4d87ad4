{#- ['a', 'b'] with prefix 't.' -> ['t.a', 't.b'] -#}
{% macro cm_prefixed(columns, prefix) %}
    {%- set out = [] -%}
    {%- for column in columns -%}{%- do out.append(prefix ~ column) -%}{%- endfor -%}
    {{ return(out) }}
{% endmacro %}
