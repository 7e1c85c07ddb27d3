-- Population of each region at the middle of each month: geometric interpolation between the
-- 2014 and 2024 censuses (1 September), extrapolated outside them; times population_scale() (1,
-- or the simulated share for a registry of synthetic activity).
with

regions as (
    select * from {{ ref('int_region_rates__derived') }}
),

calendar as (
    select * from {{ ref('int_calendar__days') }}
),

months as (
    select
        month_start,
        min(year) as year,
        min(month) as month,
        count(*) as days_in_month
    from calendar
    group by month_start
),

years as (
    select
        year,
        count(*) as days_in_year
    from calendar
    group by year
),

final as (
    select
        -- ids
        regions.region_code,
        months.month_start,
        months.year,
        months.month,

        -- calendar
        cast(months.days_in_month as integer) as days_in_month,
        cast(years.days_in_year as integer) as days_in_year,

        -- population at mid-month
        {{ civstat.geometric_population(
            'regions.population_2014', 'regions.population_2024', 'months.month_start',
            extra_days='cast(months.days_in_month as double precision) / 2.0'
        ) }} * {{ civstat.population_scale() }} as population
    from regions
    cross join months
    inner join years
        on months.year = years.year
)

select * from final
