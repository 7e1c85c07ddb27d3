{#-
    JSON access, one spelling per adapter. The change log's after_image is `json` on DuckDB and
    `jsonb` on PostgreSQL (text is accepted too: as_json casts it).
-#}

{#- The column as the adapter's JSON type. -#}
{% macro as_json(column) -%}
    {{ return(adapter.dispatch('as_json', 'civstat')(column)) }}
{%- endmacro %}

{% macro duckdb__as_json(column) -%}
    cast({{ column }} as json)
{%- endmacro %}

{% macro postgres__as_json(column) -%}
    cast({{ column }} as jsonb)
{%- endmacro %}


{#- A top-level key as text (null when absent or JSON null). -#}
{% macro json_text(column, key) -%}
    {{ return(adapter.dispatch('json_text', 'civstat')(column, key)) }}
{%- endmacro %}

{% macro duckdb__json_text(column, key) -%}
    json_extract_string({{ column }}, '$.{{ key }}')
{%- endmacro %}

{% macro postgres__json_text(column, key) -%}
    ({{ column }} ->> '{{ key }}')
{%- endmacro %}


{#- A top-level key as JSON (arrays, objects). -#}
{% macro json_value(column, key) -%}
    {{ return(adapter.dispatch('json_value', 'civstat')(column, key)) }}
{%- endmacro %}

{% macro duckdb__json_value(column, key) -%}
    json_extract({{ column }}, '$.{{ key }}')
{%- endmacro %}

{% macro postgres__json_value(column, key) -%}
    ({{ column }} -> '{{ key }}')
{%- endmacro %}


{#- Key of the last element of a top-level array, as text. -#}
{% macro json_last_element_text(column, array_key, key) -%}
    {{ return(adapter.dispatch('json_last_element_text', 'civstat')(column, array_key, key)) }}
{%- endmacro %}

{% macro duckdb__json_last_element_text(column, array_key, key) -%}
    json_extract_string({{ column }}, '$.{{ array_key }}[#-1].{{ key }}')
{%- endmacro %}

{% macro postgres__json_last_element_text(column, array_key, key) -%}
    ({{ column }} -> '{{ array_key }}' -> -1 ->> '{{ key }}')
{%- endmacro %}


{#- Number of elements of a top-level array (0 when absent). -#}
{% macro json_array_length(column, array_key) -%}
    {{ return(adapter.dispatch('json_array_length', 'civstat')(column, array_key)) }}
{%- endmacro %}

{% macro duckdb__json_array_length(column, array_key) -%}
    coalesce(cast(json_array_length({{ column }}, '$.{{ array_key }}') as integer), 0)
{%- endmacro %}

{% macro postgres__json_array_length(column, array_key) -%}
    coalesce(
        case
            when jsonb_typeof({{ column }} -> '{{ array_key }}') = 'array'
                then jsonb_array_length({{ column }} -> '{{ array_key }}')
        end,
        0
    )
{%- endmacro %}


{#-
    FROM-clause fragment: one row per element of the JSON array `json_expr`, exposed as
    `<alias>.value` (JSON). Use after the relation that holds the array:
        from acts
        {{ civstat.json_array_rows('acts.marginal_notes', 'note') }}
-#}
{% macro json_array_rows(json_expr, alias) -%}
    {{ return(adapter.dispatch('json_array_rows', 'civstat')(json_expr, alias)) }}
{%- endmacro %}

{% macro duckdb__json_array_rows(json_expr, alias) -%}
    cross join unnest(json_extract({{ json_expr }}, '$[*]')) as {{ alias }}(value)
{%- endmacro %}

{% macro postgres__json_array_rows(json_expr, alias) -%}
    cross join lateral jsonb_array_elements(
        case when jsonb_typeof({{ json_expr }}) = 'array' then {{ json_expr }} else '[]'::jsonb end
    ) as {{ alias }}(value)
{%- endmacro %}


{#- Typed reads of after-image keys. -#}
{% macro json_date(column, key) -%}
    cast({{ civstat.json_text(column, key) }} as date)
{%- endmacro %}

{% macro json_int(column, key) -%}
    cast({{ civstat.json_text(column, key) }} as integer)
{%- endmacro %}

{% macro json_bigint(column, key) -%}
    cast({{ civstat.json_text(column, key) }} as bigint)
{%- endmacro %}

{#- ISO timestamps written as UTC with `Z` (or +00:00) -> naive UTC timestamp. -#}
{% macro json_timestamp(column, key) -%}
    cast(
        replace(replace({{ civstat.json_text(column, key) }}, 'Z', ''), '+00:00', '')
        as timestamp
    )
{%- endmacro %}
