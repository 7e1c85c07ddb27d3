-- Roll-out of the electronic registry, by region and month: offices live at the end of the
-- month, and the share of births and deaths registered that month that were captured
-- electronically (registered at an office on or after its go-live day).
with

offices as (
    select * from {{ ref('dim_geography') }}
    where region_code is not null
),

regions as (
    select * from {{ ref('dim_region') }}
),

births as (
    select * from {{ ref('fct_birth') }}
),

deaths as (
    select * from {{ ref('fct_death') }}
),

calendar as (
    select * from {{ ref('dim_date') }}
),

as_of as (
    select * from {{ ref('int_registry__as_of') }}
),

acts as (
    select region_code, {{ civstat.month_start('registration_date') }} as month_start, is_electronic
    from births
    where not is_cancelled
        and region_code is not null
    union all
    select region_code, {{ civstat.month_start('registration_date') }} as month_start, is_electronic
    from deaths
    where not is_cancelled
        and region_code is not null
),

span as (
    select
        least(
            coalesce((select min(month_start) from acts), {{ civstat.month_start('as_of.as_of_date') }}),
            coalesce(
                (select {{ civstat.month_start('min(live_since)') }} from offices),
                {{ civstat.month_start('as_of.as_of_date') }}
            )
        ) as first_month,
        {{ civstat.month_start('as_of.as_of_date') }} as last_month
    from as_of
),

months as (
    select distinct
        calendar.month_start,
        {{ civstat.add_days(civstat.add_months('calendar.month_start', 1), -1) }} as month_end
    from calendar
    cross join span
    where calendar.month_start between span.first_month and span.last_month
),

offices_live as (
    select
        regions.region_code,
        months.month_start,
        count(offices.office_code) as offices_total,
        {{ civstat.count_if('offices.live_since <= months.month_end') }} as offices_live
    from regions
    cross join months
    left join offices
        on regions.region_code = offices.region_code
    group by regions.region_code, months.month_start
),

events as (
    select
        region_code,
        month_start,
        count(*) as events,
        {{ civstat.count_if('is_electronic') }} as events_electronic
    from acts
    group by region_code, month_start
),

final as (
    select
        -- ids
        cast(offices_live.region_code as text) as region_code,
        cast(offices_live.month_start as date) as month_start,

        -- offices
        cast(offices_live.offices_total as bigint) as offices_total,
        cast(offices_live.offices_live as bigint) as offices_live,
        {{ civstat.safe_divide('offices_live.offices_live', 'offices_live.offices_total') }} as share_offices_live,

        -- events
        cast(coalesce(events.events, 0) as bigint) as events,
        cast(coalesce(events.events_electronic, 0) as bigint) as events_electronic,
        {{ civstat.safe_divide('events.events_electronic', 'events.events') }} as share_electronic
    from offices_live
    left join events
        on offices_live.region_code = events.region_code
        and offices_live.month_start = events.month_start
)

select * from final
