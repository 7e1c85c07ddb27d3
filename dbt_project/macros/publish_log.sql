{#-
    The publish log: which rows of each incremental model a build changed, so publishing a new
    read-only DuckDB version (pipelines/lib/publish.py) copies the previous version's file and
    rewrites only those rows instead of copying every table (docs/scaling.md, "Publishing by delta").

    DuckDB only (PostgreSQL readers query the warehouse directly; nothing is published there, so
    every macro here renders to nothing on other targets). In the working file, schema
    `publish_log`:
      * `publish_log.rebuilt (model)`: models built from scratch (a table model, a first build, a
        --full-refresh) since the last publish; the publisher copies them whole;
      * `publish_log."<model>"`: the unique keys an incremental build deleted and re-inserted
        (and keys a post-hook deleted). Everything a delete+insert build changes has its key in
        the temp relation it inserts from, so these keys are the complete difference.
    Written in the model's own transaction (a failed build logs nothing); cleared by the
    publisher once a version that includes them is in place.

    Strategy `logged_delete_insert` = dbt's delete+insert followed by the key log insert.
-#}

{#- on-run-start: the schema and the rebuilt-models table (once per invocation, before the
    models' threads start, so they never race on catalog DDL). -#}
{% macro publish_log_schema() -%}
    {%- if target.type == 'duckdb' -%}
    create schema if not exists publish_log;
    create table if not exists publish_log.rebuilt (model varchar not null, logged_at timestamp default current_timestamp)
    {%- endif -%}
{%- endmacro %}


{% macro publish_log_relation() -%}
    {{ return(api.Relation.create(database=this.database, schema='publish_log', identifier=this.identifier)) }}
{%- endmacro %}


{#- Statements appending the keys `source` (a relation or a parenthesised query) holds to this
    model's key log. -#}
{% macro publish_log_keys(source, unique_key) -%}
    {%- if target.type == 'duckdb' -%}
    {%- set keys = ([unique_key] if unique_key is string else unique_key) | join(', ') -%}
    {%- set log = civstat.publish_log_relation() -%}
    create table if not exists {{ log }} as select {{ keys }} from {{ source }} as publish_keys where false;
    insert into {{ log }} select distinct {{ keys }} from {{ source }} as publish_keys
    {%- endif -%}
{%- endmacro %}


{#- Project pre-hook: a model about to be built from scratch is copied whole at the next publish
    (its key log, if any, is moot and dropped). -#}
{% macro publish_log_rebuild() -%}
    {%- if target.type == 'duckdb' and model.resource_type == 'model' and model.config.materialized != 'view'
          and not is_incremental() -%}
    drop table if exists {{ civstat.publish_log_relation() }};
    insert into publish_log.rebuilt (model) values ('{{ this.identifier }}')
    {%- endif -%}
{%- endmacro %}


{#- The incremental strategy of every incremental model: delete+insert, then the key log. -#}
{% macro get_incremental_logged_delete_insert_sql(arg_dict) -%}
    {%- set build_sql = get_incremental_delete_insert_sql(arg_dict) -%}
    {%- set log_sql = civstat.publish_log_keys(arg_dict['temp_relation'], arg_dict['unique_key']) -%}
    {{ return(build_sql ~ (';\n' ~ log_sql if log_sql | trim else '')) }}
{%- endmacro %}
