-- Registered vs expected births and deaths, by region, year of the event and sex, for three
-- registration windows: by the legal deadline (timeliness on_time), within 1 year (on_time or
-- late) and within 5 years (var completeness_window_5y_days).
-- expected = mid-year population x reference crude rate / 1000 x observed days / 365 x sex share
-- (docs/dbt.md, "Expected counts"); observed days are the days of the year up to the data's
-- as-of date. Every region with a population gets a row for every year, even with no acts.
with

births as (
    select * from {{ ref('fct_birth') }}
),

deaths as (
    select * from {{ ref('fct_death') }}
),

regions as (
    select * from {{ ref('int_region_rates__derived') }}
),

population as (
    select * from {{ ref('int_region_population__yearly') }}
),

as_of as (
    select * from {{ ref('int_registry__as_of') }}
),

registrations as (
    select
        'birth' as event_type,
        region_code,
        {{ civstat.year_of('event_date') }} as year,
        sex,
        timeliness_class,
        registration_delay_days
    from births
    where not is_cancelled
        and region_code is not null
    union all
    select
        'death' as event_type,
        region_code,
        {{ civstat.year_of('event_date') }} as year,
        sex,
        timeliness_class,
        registration_delay_days
    from deaths
    where not is_cancelled
        and region_code is not null
),

observation as (
    select
        min(registrations.year) as first_year,
        {{ civstat.year_of('as_of.as_of_date') }} as last_year,
        {{ civstat.date_diff_days(civstat.year_start('as_of.as_of_date'), 'as_of.as_of_date') }} + 1
            as last_year_observed_days
    from registrations
    cross join as_of
    group by as_of.as_of_date
),

sexes as (
    select 'M' as sex
    union all
    select 'F' as sex
),

event_types as (
    select 'birth' as event_type
    union all
    select 'death' as event_type
),

cells as (
    select
        regions.region_code,
        population.year,
        sexes.sex,
        event_types.event_type,
        case
            when population.year < observation.last_year then population.days_in_year
            else observation.last_year_observed_days
        end as observed_days,
        population.population,
        case
            when event_types.event_type = 'birth' then regions.cbr_reference
            else regions.cdr_reference
        end as reference_rate,
        case
            when event_types.event_type = 'birth' and sexes.sex = 'M' then regions.male_share_births
            when event_types.event_type = 'birth' then 1 - regions.male_share_births
            when sexes.sex = 'M' then regions.male_share_deaths
            else 1 - regions.male_share_deaths
        end as sex_share
    from regions
    inner join population
        on regions.region_code = population.region_code
    cross join observation
    cross join sexes
    cross join event_types
    where regions.population_2014 > 0
        and regions.population_2024 > 0
        and population.year between observation.first_year and observation.last_year
),

counts as (
    select
        event_type,
        region_code,
        year,
        sex,
        {{ civstat.count_if("timeliness_class = 'on_time'") }} as registered_within_deadline,
        {{ civstat.count_if("timeliness_class in ('on_time', 'late')") }} as registered_within_1y,
        {{ civstat.count_if(
            "timeliness_class in ('on_time', 'late') or registration_delay_days <= "
            ~ var('completeness_window_5y_days')
        ) }} as registered_within_5y
    from registrations
    group by event_type, region_code, year, sex
),

expected as (
    select
        cells.*,
        cells.population * cells.reference_rate / 1000.0
            * cells.observed_days / 365.0
            * cells.sex_share as expected
    from cells
),

final as (
    select
        -- ids
        cast(expected.region_code as text) as region_code,
        cast(expected.year as integer) as year,
        cast(expected.sex as text) as sex,
        cast(expected.event_type as text) as event_type,

        -- counts
        cast(expected.expected as double precision) as expected,
        cast(coalesce(counts.registered_within_deadline, 0) as bigint) as registered_within_deadline,
        cast(coalesce(counts.registered_within_1y, 0) as bigint) as registered_within_1y,
        cast(coalesce(counts.registered_within_5y, 0) as bigint) as registered_within_5y,

        -- completeness (registered / expected)
        {{ civstat.safe_divide('coalesce(counts.registered_within_deadline, 0)', 'expected.expected') }}
            as completeness_deadline,
        {{ civstat.safe_divide('coalesce(counts.registered_within_1y, 0)', 'expected.expected') }}
            as completeness_1y,
        {{ civstat.safe_divide('coalesce(counts.registered_within_5y, 0)', 'expected.expected') }}
            as completeness_5y
    from expected
    left join counts
        on expected.region_code = counts.region_code
        and expected.year = counts.year
        and expected.sex = counts.sex
        and expected.event_type = counts.event_type
)

select * from final
