-- Vital events by region and month of the event, with crude rates per 1,000 population per
-- year (monthly counts annualised: x days_in_year / days_in_month; mid-month population
-- interpolated geometrically between the censuses). Cancelled acts are not counted.
-- Incremental on region-months: a build rewrites every (region, month) that any version of a
-- touched act ever fell in (a correction moving an act rewrites the old and the new month),
-- plus the months of new marriages and divorces.
{{
    config(
        materialized='incremental',
        unique_key=['region_code', 'month_start'],
        incremental_strategy='logged_delete_insert',
    )
}}

with

births as (
    select * from {{ ref('fct_birth') }}
),

deaths as (
    select * from {{ ref('fct_death') }}
),

marriages as (
    select * from {{ ref('fct_marriage') }}
),

divorces as (
    select * from {{ ref('fct_divorce') }}
),

history as (
    select * from {{ ref('int_act__history') }}
),

geography as (
    select * from {{ ref('dim_geography') }}
),

regions as (
    select * from {{ ref('dim_region') }}
),

population as (
    select * from {{ ref('int_region_population__monthly') }}
),

-- every (region, month) an act version or a family event ever fell in
act_cells as (
    select
        geography.region_code,
        history.event_month as month_start,
        history.act_id,
        history.feed_position
    from history
    inner join geography
        on history.office_code = geography.office_code
    where history.act_type in ('birth', 'death')
        and geography.region_code is not null
),

family_cells as (
    select region_code, event_month as month_start, feed_position
    from marriages
    where region_code is not null
    union all
    select region_code, event_month as month_start, feed_position
    from divorces
    where region_code is not null
),

inputs as (
    select max(feed_position) as feed_position
    from (
        select feed_position from act_cells
        union all
        select feed_position from family_cells
    ) as positions
),

{% if is_incremental() %}
previous as (
    select {{ civstat.watermark() }} as feed_position
),

touched_acts as (
    select distinct act_id
    from history
    where feed_position > (select feed_position from previous)
),

cells as (
    select region_code, month_start
    from act_cells
    where act_id in (select act_id from touched_acts)
    union
    select region_code, month_start
    from family_cells
    where feed_position > (select feed_position from previous)
),
{% else %}
cells as (
    select region_code, month_start from act_cells
    union
    select region_code, month_start from family_cells
),
{% endif %}

birth_counts as (
    select
        births.region_code,
        births.event_month as month_start,
        count(*) as births,
        {{ civstat.count_if("births.sex = 'M'") }} as births_male,
        {{ civstat.count_if("births.sex = 'F'") }} as births_female,
        avg(
            case
                when births.mother_age between {{ var('plausible')['mother_age_min'] }}
                    and {{ var('plausible')['mother_age_max'] }}
                    then cast(births.mother_age as double precision)
            end
        ) as mean_mother_age
    from births
    inner join cells
        on births.region_code = cells.region_code
        and births.event_month = cells.month_start
    where not births.is_cancelled
    group by births.region_code, births.event_month
),

death_counts as (
    select
        deaths.region_code,
        deaths.event_month as month_start,
        count(*) as deaths,
        {{ civstat.count_if("deaths.sex = 'M'") }} as deaths_male,
        {{ civstat.count_if("deaths.sex = 'F'") }} as deaths_female,
        {{ civstat.count_if('deaths.is_infant') }} as infant_deaths
    from deaths
    inner join cells
        on deaths.region_code = cells.region_code
        and deaths.event_month = cells.month_start
    where not deaths.is_cancelled
    group by deaths.region_code, deaths.event_month
),

family_counts as (
    select
        family.region_code,
        family.month_start,
        {{ civstat.count_if("family.event_type = 'marriage'") }} as marriages,
        {{ civstat.count_if("family.event_type = 'divorce'") }} as divorces
    from (
        select region_code, event_month as month_start, 'marriage' as event_type from marriages
        union all
        select region_code, event_month as month_start, 'divorce' as event_type from divorces
    ) as family
    inner join cells
        on family.region_code = cells.region_code
        and family.month_start = cells.month_start
    group by family.region_code, family.month_start
),

counted as (
    select
        cells.region_code,
        cells.month_start,
        population.year,
        population.month,
        population.days_in_month,
        population.days_in_year,
        population.population,
        coalesce(birth_counts.births, 0) as births,
        coalesce(birth_counts.births_male, 0) as births_male,
        coalesce(birth_counts.births_female, 0) as births_female,
        birth_counts.mean_mother_age,
        coalesce(death_counts.deaths, 0) as deaths,
        coalesce(death_counts.deaths_male, 0) as deaths_male,
        coalesce(death_counts.deaths_female, 0) as deaths_female,
        coalesce(death_counts.infant_deaths, 0) as infant_deaths,
        coalesce(family_counts.marriages, 0) as marriages,
        coalesce(family_counts.divorces, 0) as divorces
    from cells
    inner join population
        on cells.region_code = population.region_code
        and cells.month_start = population.month_start
    left join birth_counts
        on cells.region_code = birth_counts.region_code
        and cells.month_start = birth_counts.month_start
    left join death_counts
        on cells.region_code = death_counts.region_code
        and cells.month_start = death_counts.month_start
    left join family_counts
        on cells.region_code = family_counts.region_code
        and cells.month_start = family_counts.month_start
),

final as (
    select
        -- ids
        cast(counted.region_code as text) as region_code,
        cast(regions.region_name_fr as text) as region_name_fr,
        cast(regions.region_name_ar as text) as region_name_ar,
        cast(counted.month_start as date) as month_start,
        cast(counted.year as integer) as year,
        cast(counted.month as integer) as month,

        -- counts
        cast(counted.births as bigint) as births,
        cast(counted.births_male as bigint) as births_male,
        cast(counted.births_female as bigint) as births_female,
        cast(counted.deaths as bigint) as deaths,
        cast(counted.deaths_male as bigint) as deaths_male,
        cast(counted.deaths_female as bigint) as deaths_female,
        cast(counted.infant_deaths as bigint) as infant_deaths,
        cast(counted.marriages as bigint) as marriages,
        cast(counted.divorces as bigint) as divorces,

        -- rates
        cast(counted.population as double precision) as population,
        cast(
            {{ civstat.safe_divide('counted.births * 1000.0', 'counted.population') }}
            * counted.days_in_year / counted.days_in_month
            as double precision
        ) as crude_birth_rate,
        cast(
            {{ civstat.safe_divide('counted.deaths * 1000.0', 'counted.population') }}
            * counted.days_in_year / counted.days_in_month
            as double precision
        ) as crude_death_rate,
        cast({{ civstat.safe_divide('counted.births_male * 100.0', 'counted.births_female') }} as double precision)
            as sex_ratio_at_birth,
        cast(counted.mean_mother_age as double precision) as mean_mother_age,
        cast({{ civstat.safe_divide('counted.infant_deaths * 1000.0', 'counted.births') }} as double precision)
            as infant_deaths_per_1000_births,

        -- bookkeeping
        cast(inputs.feed_position as text) as feed_position
    from counted
    left join regions
        on counted.region_code = regions.region_code
    cross join inputs
)

select * from final
