{#-
    Session settings run before each model (project-level pre-hook). PostgreSQL's JIT compiles
    expressions whenever the planner's (often inflated) cost estimate passes jit_above_cost;
    on these queries that cost seconds and saved nothing (measured: int_act__enriched 3.3 s ->
    0.4 s, ind_rollout 2.8 s -> 0.1 s at 76k changes). var postgres_jit: true turns it back on.
    DuckDB: nothing (an empty hook is skipped).
-#}
{% macro session_settings() -%}
    {{ return(adapter.dispatch('session_settings', 'civstat')()) }}
{%- endmacro %}

{% macro default__session_settings() -%}
    {{ return('') }}
{%- endmacro %}

{% macro postgres__session_settings() -%}
    {{ return('' if var('postgres_jit', false) else 'set jit = off') }}
{%- endmacro %}
