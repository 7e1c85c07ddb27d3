-- Population of each region on 1 July of each year (geometric interpolation between the 2014
-- and 2024 censuses, extrapolated outside them), split urban/rural with the 2024 shares; times
-- population_scale() (1, or the simulated share for a registry of synthetic activity).
with

regions as (
    select * from {{ ref('int_region_rates__derived') }}
),

calendar as (
    select * from {{ ref('int_calendar__days') }}
),

mid_years as (
    select
        year,
        date_day as mid_year_day
    from calendar
    where month = 7
        and date_day = month_start
),

years as (
    select
        year,
        count(*) as days_in_year
    from calendar
    group by year
),

interpolated as (
    select
        regions.region_code,
        mid_years.year,
        cast(years.days_in_year as integer) as days_in_year,
        regions.urban_share_2024,
        {{ civstat.geometric_population('regions.population_2014', 'regions.population_2024', 'mid_years.mid_year_day') }}
            * {{ civstat.population_scale() }} as population
    from regions
    cross join mid_years
    inner join years
        on mid_years.year = years.year
),

final as (
    select
        -- ids
        region_code,
        year,

        -- calendar
        days_in_year,

        -- population on 1 July
        population,
        population * urban_share_2024 as population_urban,
        population * (1 - urban_share_2024) as population_rural
    from interpolated
)

select * from final
