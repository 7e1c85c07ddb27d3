-- Every day from var dim_date_start to dim_date_end, with Morocco's working days: Monday to
-- Friday except public holidays (seed ref_public_holidays = registry_api/reference/holidays.csv),
-- and the next working day on or after each day (the deadline rule of rules.legal_deadline).
with

spine as (
    {{ civstat.date_spine(var('dim_date_start'), var('dim_date_end')) }}
),

holidays as (
    select distinct cast("date" as date) as holiday_date
    from {{ ref('ref_public_holidays') }}
),

days as (
    select
        spine.date_day,
        {{ civstat.year_of('spine.date_day') }} as year,
        {{ civstat.month_of('spine.date_day') }} as month,
        {{ civstat.month_start('spine.date_day') }} as month_start,
        {{ civstat.iso_day_of_week('spine.date_day') }} as day_of_week,
        holidays.holiday_date is not null as is_holiday
    from spine
    left join holidays
        on spine.date_day = holidays.holiday_date
),

working as (
    select
        *,
        (day_of_week <= 5 and not is_holiday) as is_working_day
    from days
),

final as (
    select
        date_day,
        year,
        month,
        month_start,
        day_of_week,
        is_holiday,
        is_working_day,
        -- a running minimum walking backwards in time (a frame that starts at unbounded
        -- preceding is computed incrementally; "current row .. unbounded following" is
        -- quadratic on PostgreSQL)
        min(case when is_working_day then date_day end) over (
            order by date_day desc
            rows between unbounded preceding and current row
        ) as next_working_day
    from working
)

select * from final
