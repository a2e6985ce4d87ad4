{#-
  Incremental strategy `replace_staged_keys` for the staging tables: replace
  every staged row of the keys the run judged (config unique_key, the key
  hash) with the rows of the run, as delete+insert on that key does, but
  without scanning the key column of the whole table in the common case.

  A judged key's staged rows are its rows of the run's window (ingested after
  cm_scope_since, or without a usable ingested_at) and its rows from before
  the window; the run's rows of that key include every one of the latter (the
  kept rows of cm_scope_judged_rows, or for a backfill or re-admitted key its
  raw rows, which are never deleted), with the same ingested_at. So one
  delete takes the window's rows of the judged keys, a range on ingested_at
  that zone maps keep to the newest row groups, and a second takes the older
  rows of only the keys the run re-inserts older rows for (usually none or a
  handful: a late retry, a correction of an old label), matched by key and by
  their ingested_at, so zone maps confine it to the span of those rows. A hash
  join whose key side is empty ends its scan at once, so that delete costs
  nothing when there is nothing to delete. Measured at 20M staged inference rows, one thread:
  see docs/architecture.md (staging).
-#}
{% macro get_incremental_replace_staged_keys_sql(arg_dict) %}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set temp = arg_dict['temp_relation'] -%}
    {%- set key = arg_dict['unique_key'] -%}
    {%- if not key or key is not string -%}
        {{ exceptions.raise_compiler_error("incremental_strategy 'replace_staged_keys' needs one unique_key column") }}
    {%- endif -%}
    {%- set since = cm_scope_since(target) -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where {{ cm_scope_in_window('ingested_at', since) }}
        and {{ key }} in (select {{ key }} from {{ temp }} where {{ key }} is not null);

    {% if since is not none -%}
    delete from {{ target }}
    where not {{ cm_scope_in_window('ingested_at', since) }}
        and {{ key }} in (
            select {{ key }} from {{ temp }}
            where not {{ cm_scope_in_window('ingested_at', since) }} and {{ key }} is not null)
        -- every older row of such a key is re-inserted with its ingested_at, so
        -- matching those timestamps too loses nothing, and confines the delete
        -- to their span (zone maps) and a Bloom filter of exact values
        and ingested_at in (
            select ingested_at from {{ temp }}
            where not {{ cm_scope_in_window('ingested_at', since) }});
    {%- endif %}

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ temp }}
{% endmacro %}
