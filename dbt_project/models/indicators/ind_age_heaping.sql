-- Whipple's index of declared ages (age at death, mother's and father's age at a birth), by
-- region and year of the event: 100 x (ages 25, 30, ..., 60) / (1/5 x ages 23 to 62).
-- 100 = no preference for ages ending in 0 or 5; 500 = only such ages.
with

births as (
    select * from {{ ref('fct_birth') }}
),

deaths as (
    select * from {{ ref('fct_death') }}
),

ages as (
    select region_code, {{ civstat.year_of('event_date') }} as year, 'age_at_death' as measure, age_years as age
    from deaths
    where not is_cancelled
        and region_code is not null
        and age_years is not null
    union all
    select region_code, {{ civstat.year_of('event_date') }} as year, 'mother_age' as measure, mother_age as age
    from births
    where not is_cancelled
        and region_code is not null
        and mother_age is not null
    union all
    select region_code, {{ civstat.year_of('event_date') }} as year, 'father_age' as measure, father_age as age
    from births
    where not is_cancelled
        and region_code is not null
        and father_age is not null
),

counted as (
    select
        region_code,
        year,
        measure,
        {{ civstat.count_if('age between 23 and 62') }} as n_ages_23_62,
        {{ civstat.count_if('age between 25 and 60 and mod(age, 5) = 0') }} as n_heaped
    from ages
    group by region_code, year, measure
),

final as (
    select
        -- ids
        cast(region_code as text) as region_code,
        cast(year as integer) as year,
        cast(measure as text) as measure,

        -- measures
        cast(n_ages_23_62 as bigint) as n_ages_23_62,
        {{ civstat.safe_divide('n_heaped * 500.0', 'n_ages_23_62') }} as whipple_index
    from counted
)

select * from final
