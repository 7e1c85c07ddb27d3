{#
    The share of the national population the registry's activity stands for: 1 for a real
    registry; the simulator's scale for a registry of simulated activity (registry setting
    `synthetic_scale`, landed into stg_registry__settings). Rates and expected counts divide by
    population x this, so a 2% simulation gives real-looking rates. A scalar subquery.
#}
{% macro population_scale() -%}
    (
        select coalesce(max(cast(setting_value as double precision)), 1.0)
        from {{ ref('stg_registry__settings') }}
        where setting = 'synthetic_scale'
    )
{%- endmacro %}
