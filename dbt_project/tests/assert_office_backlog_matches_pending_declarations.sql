-- On the last day of the grid, each office's backlog equals its declarations still pending.
-- Dagster shows this test as an asset check of ind_office_daily (it reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'ind_office_daily'}}}) }}
with

daily as (
    select * from {{ ref('ind_office_daily') }}
),

as_of as (
    select * from {{ ref('int_registry__as_of') }}
),

declarations as (
    select * from {{ ref('fct_declaration') }}
),

last_day as (
    select daily.office_code, daily.backlog_end_of_day
    from daily
    inner join as_of
        on daily.day = as_of.as_of_date
),

pending as (
    select office_code, {{ civstat.count_if('is_pending') }} as pending
    from declarations
    group by office_code
)

select
    last_day.office_code,
    last_day.backlog_end_of_day,
    pending.pending
from last_day
left join pending
    on last_day.office_code = pending.office_code
where last_day.backlog_end_of_day <> coalesce(pending.pending, 0)
