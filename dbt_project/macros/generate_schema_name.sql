{#-
    Every model and seed goes to the target's schema, exactly: `main` on DuckDB, `analytics`
    on PostgreSQL. dbt's default would build `<target>_<custom>` schemas for a custom schema;
    readers (pipelines.lib.publish, dashboards) address models by bare name in one schema.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ target.schema | trim }}
{%- endmacro %}
