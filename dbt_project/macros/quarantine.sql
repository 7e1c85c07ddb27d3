{#-
    Acts the quality suites quarantined for exclusion (docs/quality.md, "Quarantine, exclusion").

    quality/ writes `quarantine` in the models schema (main / analytics): the current verdict,
    one row per failed rule and key. Rows of suite `registry_acts` with action 'exclude' are
    acts whose landed image breaks a date/age rule; the act facts leave them out, and
    `quality_exclusions` counts how many they left out. The relation is not a dbt source: it is
    written by the quality step, may not exist yet (first build, no quality run), and must not
    appear as an asset of its own in the lineage. So it is looked up at run time and an empty set
    is used when it is missing.

    excluded_act_ids(): a query returning `act_id` (bigint) of those acts.
    drop_excluded_acts(): a post-hook deleting them from the model. A filter in the model's select
    is not enough for an incremental (delete+insert) model: an act already in the table whose new
    version gets quarantined would keep its old row, because delete+insert only deletes the keys
    the new select returns.
-#}
{% macro excluded_act_ids() -%}
    {%- set relation = none -%}
    {%- if execute -%}
        {%- set relation = adapter.get_relation(database=target.database, schema=target.schema, identifier='quarantine') -%}
    {%- endif -%}
    {%- if relation is not none -%}
        select distinct cast(row_key as bigint) as act_id
        from {{ relation }}
        where suite = 'registry_acts'
            and action = 'exclude'
            and row_key is not null
            and row_key <> 'null'
    {%- else -%}
        select cast(null as bigint) as act_id where 1 = 0
    {%- endif -%}
{%- endmacro %}

{% macro drop_excluded_acts() -%}
    {#- the deleted keys go to the publish log too (macros/publish_log.sql) -#}
    {%- set log_sql = civstat.publish_log_keys(
        '(select act_id from ' ~ this ~ ' where act_id in (' ~ civstat.excluded_act_ids() ~ '))', 'act_id') -%}
    {%- if log_sql | trim %}{{ log_sql }};
    {% endif -%}
    delete from {{ this }} where act_id in ({{ civstat.excluded_act_ids() }})
{%- endmacro %}
