{#-
  The one place configuration is read. Defaults live in dbt_project.yml `vars:`;
  this helper reads them, fails loudly on a name that does not exist, and
  normalises the list-valued vars so models can loop over them safely.
-#}
{% macro cm_config(name) %}
    {%- set list_vars = ['slice_columns', 'numeric_features', 'categorical_features'] -%}
    {%- set value = var(name, '__cm_missing__') -%}
    {%- if value == '__cm_missing__' -%}
        {{ exceptions.raise_compiler_error("classifier_monitor: unknown config var '" ~ name ~ "'. Defaults are declared in dbt_project.yml vars.") }}
    {%- endif -%}
    {%- if name in list_vars -%}
        {%- if value is none -%}
            {%- set value = [] -%}
        {%- elif value is string -%}
            {%- set value = value.split(',') | map('trim') | reject('equalto', '') | list -%}
        {%- endif -%}
        {%- for column in value -%}
            {%- if not modules.re.match('^[A-Za-z_][A-Za-z0-9_]*$', column) -%}
                {{ exceptions.raise_compiler_error("classifier_monitor: var '" ~ name ~ "' holds '" ~ column ~ "', which is not a plain column name.") }}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}
