{#-
    The civil-status rules, from the vars that mirror registry_api/reference/rules.toml (same
    function names as registry_api/services/rules.py). One place in the warehouse.
-#}

{#- Legal deadline in days after the event: abroad 365, else per event type (birth, death, ...).
    Like rules.timeliness_class, the timeliness of an act ignores the 3-day institution rule. -#}
{% macro legal_deadline_days(event_type, is_abroad) -%}
    {%- set days = var('deadline_days') -%}
    case
        when {{ is_abroad }} then {{ days['abroad'] }}
        {%- for kind in ['birth', 'death', 'marriage', 'divorce'] %}
        when {{ event_type }} = '{{ kind }}' then {{ days[kind] }}
        {%- endfor %}
    end
{%- endmacro %}

{#- on_time: registered on or before the deadline (already moved to the next working day);
    late: after it but within timeliness.late_max_days of the event; delayed: beyond. -#}
{% macro timeliness_class(registration_date, deadline_date, delay_days) -%}
    case
        when {{ registration_date }} is null or {{ deadline_date }} is null then null
        when {{ registration_date }} <= {{ deadline_date }} then 'on_time'
        when {{ delay_days }} <= {{ var('timeliness')['late_max_days'] }} then 'late'
        else 'delayed'
    end
{%- endmacro %}

{#- Five-year age groups used for deaths (0, 1-4, 5-14, then ten-year groups to 85+). -#}
{% macro age_group(age_years) -%}
    case
        when {{ age_years }} is null then null
        when {{ age_years }} < 1 then '0'
        when {{ age_years }} < 5 then '1-4'
        when {{ age_years }} < 15 then '5-14'
        when {{ age_years }} < 25 then '15-24'
        when {{ age_years }} < 35 then '25-34'
        when {{ age_years }} < 45 then '35-44'
        when {{ age_years }} < 55 then '45-54'
        when {{ age_years }} < 65 then '55-64'
        when {{ age_years }} < 75 then '65-74'
        when {{ age_years }} < 85 then '75-84'
        else '85+'
    end
{%- endmacro %}

{#- Kind of legal basis quoted by a change: a court judgment (references a judgment, a court or
    a tribunal, in French, English or Arabic) or an administrative decision; null when none. -#}
{% macro legal_basis_kind(legal_basis) -%}
    case
        when {{ legal_basis }} is null or trim({{ legal_basis }}) = '' then null
        when lower({{ legal_basis }}) like '%jugement%'
            or lower({{ legal_basis }}) like '%judgment%'
            or lower({{ legal_basis }}) like '%judgement%'
            or lower({{ legal_basis }}) like '%tribunal%'
            or lower({{ legal_basis }}) like '%court%'
            or lower({{ legal_basis }}) like '%tpi%'
            or {{ legal_basis }} like '%حكم%'
            or {{ legal_basis }} like '%محكمة%'
            then 'court_judgment'
        else 'administrative'
    end
{%- endmacro %}

{#- A SQL list literal of the correction change kinds. -#}
{% macro correction_kinds_list() -%}
    ({% for kind in var('correction_change_kinds') %}'{{ kind }}'{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{#- Geometric interpolation between the 2014 and 2024 censuses (extrapolation outside them):
    P(t) = P2014 * (P2024 / P2014) ^ ((t - census_2014) / (census_2024 - census_2014)),
    t in days (fractional days allowed through `extra_days`). -#}
{% macro geometric_population(population_2014, population_2024, date_expr, extra_days=0) -%}
    (
        cast({{ population_2014 }} as double precision)
        * power(
            cast({{ population_2024 }} as double precision) / cast({{ population_2014 }} as double precision),
            (
                cast({{ civstat.date_diff_days(civstat.date_literal(var('census_2014_date')), date_expr) }} as double precision)
                + {{ extra_days }}
            )
            / cast({{ civstat.date_diff_days(civstat.date_literal(var('census_2014_date')), civstat.date_literal(var('census_2024_date'))) }} as double precision)
        )
    )
{%- endmacro %}
