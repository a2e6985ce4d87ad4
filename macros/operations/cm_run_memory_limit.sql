{#-
  The run's DuckDB buffer pool cap, as its on-run-start hook (dbt_project.yml).

  DuckDB keeps every block it reads in its buffer pool, up to `memory_limit`
  (80% of RAM by default), so a fresh process (a scheduler starts one per run)
  takes a new page of memory from the operating system for every block it
  reads. An incremental run reads whole key columns of the history (DuckDB has
  no index joins, docs/architecture.md) but keeps little: with the default the
  state log alone faulted in about 1.5 GB at 20M inferences, and on the
  reference machine (a VM whose first touch of a page costs the host a fault)
  that kernel time grew faster than the history did. Capped, the pool evicts
  and re-uses its buffers: the pages are touched once and blocks read again
  come from the OS page cache (measured 2026-12-07, one thread: the statement
  of the state log at 20M inferences 0.76-1.06 s capped at 256-512MB, 1.9 s at
  1GB, 2.7 s uncapped; docs/architecture.md, "Cost of an hourly run").

  So a run on a built warehouse runs with `memory_limit` set to
  `incremental_memory_limit` (512MB by default) while it runs. A run that builds something
  from scratch does not: a --full-refresh, a backfill window, a re-admission,
  or a selection with an incremental model that does not exist yet (a first
  build), since DuckDB would spill their large joins and sorts to disk. Those
  runs set it back to DuckDB's default. The on-run-end hook
  (`cm_run_memory_limit(run_ended=true)`) does too: dbt-duckdb keeps its
  DuckDB instance open after the run, and a connection the same Python process
  opens to the same file later shares that instance and its settings (the
  benchmark's floor statement ran out of memory under a cap left behind).
  `incremental_memory_limit: null` turns the cap off. A `memory_limit` in the
  profile's settings still wins: dbt-duckdb applies profile settings to every
  model's cursor after this hook.
  Other warehouses manage their own memory: the default is a no-op.
-#}
{% macro cm_run_memory_limit(run_ended=false) %}
    {{ return(adapter.dispatch('cm_run_memory_limit', 'classifier_monitor')(run_ended)) }}
{% endmacro %}

{% macro default__cm_run_memory_limit(run_ended=false) -%}
    select 1
{%- endmacro %}

{% macro duckdb__cm_run_memory_limit(run_ended=false) -%}
    {%- set limit = cm_config('incremental_memory_limit') -%}
    {%- if limit and not modules.re.match('(?i)^[0-9]+([.][0-9]+)? ?([kmgt]i?b|bytes)$', limit | string) -%}
        {{ exceptions.raise_compiler_error("classifier_monitor: var 'incremental_memory_limit' is '" ~ limit
            ~ "'; give a DuckDB memory size such as 512MB or 2GiB, or null to run uncapped.") }}
    {%- endif -%}
    {%- if limit and not run_ended and cm_run_builds_only_increments() -%}
    set memory_limit = '{{ limit }}'
    {%- else -%}
    set memory_limit = '{{ cm_duckdb_default_memory_limit() }}'
    {%- endif -%}
{%- endmacro %}

{#- DuckDB's default memory_limit (80% of RAM), as DuckDB prints it. Set
    explicitly, not by `reset memory_limit`: in DuckDB 1.5 RESET restores the
    setting but not the buffer pool's limit, so a pool capped by a SET stays
    capped (current_setting() says 18.8 GiB, pragma_database_size() 488.2 MiB,
    and the benchmark's floor statement ran out of memory at 488.2 MiB). -#}
{% macro cm_duckdb_default_memory_limit() %}
    {%- if not execute -%}
        {{ return('80%') }}
    {%- endif -%}
    {%- do run_query("reset memory_limit") -%}
    {{ return(cm_query_value("select current_setting('memory_limit')")) }}
{% endmacro %}

{#- Whether this run only applies increments: no --full-refresh, no backfill
    window or re-admission (they re-judge whole ranges), and every selected
    incremental model exists already. -#}
{% macro cm_run_builds_only_increments() %}
    {%- if not execute or flags.FULL_REFRESH -%}
        {{ return(false) }}
    {%- endif -%}
    {%- if cm_config('backfill_start') is not none or cm_config('backfill_end') is not none
          or cm_config('readmit_quarantined') -%}
        {{ return(false) }}
    {%- endif -%}
    {%- for unique_id in selected_resources -%}
        {%- set node = graph.nodes.get(unique_id) -%}
        {%- if node and node.resource_type == 'model' and node.config.materialized == 'incremental' -%}
            {%- if adapter.get_relation(database=node.database, schema=node.schema,
                                        identifier=node.alias) is none -%}
                {{ return(false) }}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(true) }}
{% endmacro %}
