with

calendar as (
    select * from {{ ref('int_calendar__days') }}
),

final as (
    select
        date_day,
        year,
        month,
        month_start,
        day_of_week,
        is_working_day,
        is_holiday,
        next_working_day
    from calendar
)

select * from final
