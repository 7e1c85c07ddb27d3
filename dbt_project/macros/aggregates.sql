{#- Aggregates and arithmetic that differ between adapters. -#}

{#- Continuous percentile (linear interpolation), as an aggregate: p in [0, 1]. -#}
{% macro percentile_cont(expr, p) -%}
    {{ return(adapter.dispatch('percentile_cont', 'civstat')(expr, p)) }}
{%- endmacro %}

{% macro duckdb__percentile_cont(expr, p) -%}
    cast(quantile_cont({{ expr }}, {{ p }}) as double precision)
{%- endmacro %}

{% macro postgres__percentile_cont(expr, p) -%}
    cast(percentile_cont({{ p }}) within group (order by {{ expr }}) as double precision)
{%- endmacro %}


{#- numerator / denominator as double precision; null when the denominator is 0 or null
    (never integer division on PostgreSQL, never inf on DuckDB). -#}
{% macro safe_divide(numerator, denominator) -%}
    (cast({{ numerator }} as double precision) / nullif(cast({{ denominator }} as double precision), 0))
{%- endmacro %}

{#- Count of rows where the condition holds, as bigint. -#}
{% macro count_if(condition) -%}
    cast(sum(case when {{ condition }} then 1 else 0 end) as bigint)
{%- endmacro %}
