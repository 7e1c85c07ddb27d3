{#- Date and time arithmetic that reads the same on DuckDB and PostgreSQL. -#}

{#- A timestamptz column as a naive UTC timestamp (so ::date is the UTC day everywhere,
    whatever the session time zone). -#}
{% macro utc_timestamp(column) -%}
    {{ return(adapter.dispatch('utc_timestamp', 'civstat')(column)) }}
{%- endmacro %}

{% macro duckdb__utc_timestamp(column) -%}
    cast(timezone('UTC', {{ column }}) as timestamp)
{%- endmacro %}

{% macro postgres__utc_timestamp(column) -%}
    ({{ column }} at time zone 'UTC')
{%- endmacro %}


{#- Whole days from start_date to end_date (end - start). -#}
{% macro date_diff_days(start_date, end_date) -%}
    {{ return(adapter.dispatch('date_diff_days', 'civstat')(start_date, end_date)) }}
{%- endmacro %}

{% macro duckdb__date_diff_days(start_date, end_date) -%}
    cast(date_diff('day', cast({{ start_date }} as date), cast({{ end_date }} as date)) as integer)
{%- endmacro %}

{% macro postgres__date_diff_days(start_date, end_date) -%}
    (cast({{ end_date }} as date) - cast({{ start_date }} as date))
{%- endmacro %}


{#- Hours (fractional) from start_ts to end_ts. -#}
{% macro hours_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('hours_between', 'civstat')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro duckdb__hours_between(start_ts, end_ts) -%}
    (cast(epoch({{ end_ts }}) - epoch({{ start_ts }}) as double precision) / 3600.0)
{%- endmacro %}

{% macro postgres__hours_between(start_ts, end_ts) -%}
    (cast(extract(epoch from ({{ end_ts }} - {{ start_ts }})) as double precision) / 3600.0)
{%- endmacro %}


{#- date + n days (n an integer expression). date + integer is a date on both adapters. -#}
{% macro add_days(date_expr, days) -%}
    cast(cast({{ date_expr }} as date) + cast({{ days }} as integer) as date)
{%- endmacro %}

{#- date + n calendar years/months (n a literal integer). -#}
{% macro add_years(date_expr, years) -%}
    cast(cast({{ date_expr }} as date) + interval '{{ years }} year' as date)
{%- endmacro %}

{% macro add_months(date_expr, months) -%}
    cast(cast({{ date_expr }} as date) + interval '{{ months }} month' as date)
{%- endmacro %}

{#- First day of the month / year, as a date. -#}
{% macro month_start(date_expr) -%}
    cast(date_trunc('month', cast({{ date_expr }} as date)) as date)
{%- endmacro %}

{% macro year_start(date_expr) -%}
    cast(date_trunc('year', cast({{ date_expr }} as date)) as date)
{%- endmacro %}

{% macro year_of(date_expr) -%}
    cast(extract(year from cast({{ date_expr }} as date)) as integer)
{%- endmacro %}

{% macro month_of(date_expr) -%}
    cast(extract(month from cast({{ date_expr }} as date)) as integer)
{%- endmacro %}

{#- ISO day of week: 1 = Monday ... 7 = Sunday. -#}
{% macro iso_day_of_week(date_expr) -%}
    cast(extract(isodow from cast({{ date_expr }} as date)) as integer)
{%- endmacro %}

{#- A date literal. -#}
{% macro date_literal(value) -%}
    cast('{{ value }}' as date)
{%- endmacro %}


{#- A one-column relation `date_day` with every day from start_date to end_date inclusive. -#}
{% macro date_spine(start_date, end_date) -%}
    {{ return(adapter.dispatch('date_spine', 'civstat')(start_date, end_date)) }}
{%- endmacro %}

{% macro duckdb__date_spine(start_date, end_date) -%}
    select cast(range as date) as date_day
    from range(cast('{{ start_date }}' as date), cast('{{ end_date }}' as date) + interval 1 day, interval 1 day)
{%- endmacro %}

{% macro postgres__date_spine(start_date, end_date) -%}
    select cast(series.day as date) as date_day
    from generate_series(cast('{{ start_date }}' as date), cast('{{ end_date }}' as date), interval '1 day') as series(day)
{%- endmacro %}
