-- Per office and day: acts registered, declarations received/decided, backlog of pending
-- declarations at the end of the day, days from declaration to registration (p50/p90),
-- documents issued and notifications waiting to be applied.
-- Grid: each office with any activity, from its first activity or go-live day (never before
-- var office_daily_start_date) to the data's as-of date (int_office__activity_span keeps each
-- office's first and last activity day incrementally).
-- Incremental: each office is rewritten from the earliest day touched by new changes (and
-- every office from the day after the last build, as the grid grows). Backlogs are running
-- counts computed from the facts (submitted before D minus decided before D), so they never
-- depend on rows written by earlier builds.
{{
    config(
        materialized='incremental',
        unique_key=['office_code', 'day'],
        incremental_strategy='logged_delete_insert',
    )
}}

with

history as (
    select * from {{ ref('int_act__history') }}
),

births as (
    select * from {{ ref('fct_birth') }}
),

deaths as (
    select * from {{ ref('fct_death') }}
),

declarations as (
    select * from {{ ref('fct_declaration') }}
),

requests as (
    select * from {{ ref('fct_document_request') }}
),

notifications as (
    select * from {{ ref('fct_notification') }}
),

geography as (
    select * from {{ ref('dim_geography') }}
),

calendar as (
    select * from {{ ref('dim_date') }}
),

as_of as (
    select * from {{ ref('int_registry__as_of') }}
),

-- per office, the first and last day any input left a trace there (kept incrementally: a
-- micro-batch does not rescan every footprint to find them)
spans as (
    select * from {{ ref('int_office__activity_span') }}
),

inputs as (
    select max(feed_position) as feed_position
    from spans
),

office_spans as (
    select
        spans.office_code,
        greatest(
            least(spans.first_day, coalesce(geography.live_since, spans.first_day)),
            {{ civstat.date_literal(var('office_daily_start_date')) }}
        ) as grid_start
    from spans
    inner join geography
        on spans.office_code = geography.office_code
    where spans.first_day is not null
),

{% if is_incremental() %}
previous as (
    select
        max(day) as last_day,
        coalesce(max(feed_position), '') as feed_position
    from {{ this }}
),

changed_days as (
    select office_code, registration_date as day
    from history
    where act_id in (
        select act_id from history where feed_position > (select feed_position from previous)
    )
    union all
    select office_code, submitted_date as day
    from declarations
    where feed_position > (select feed_position from previous)
    union all
    select office_code, cast(requested_at as date) as day
    from requests
    where feed_position > (select feed_position from previous)
    union all
    select to_office_code as office_code, cast(created_at as date) as day
    from notifications
    where feed_position > (select feed_position from previous)
    union all
    select office_spans.office_code, {{ civstat.add_days('previous.last_day', 1) }} as day
    from office_spans
    cross join previous
),

rebuild as (
    select
        office_spans.office_code,
        greatest(office_spans.grid_start, min(changed_days.day)) as rebuild_from
    from office_spans
    inner join changed_days
        on office_spans.office_code = changed_days.office_code
    group by office_spans.office_code, office_spans.grid_start
),
{% else %}
rebuild as (
    select
        office_code,
        grid_start as rebuild_from
    from office_spans
),
{% endif %}

-- the days to write, cut to [earliest rebuild day, as-of] before joining the offices (the
-- PostgreSQL planner otherwise joins the whole calendar and filters last). as_of_date is the
-- UTC date of the newest change, but registration and submission dates are Morocco's local
-- dates (UTC+1 most of the year): after local midnight the newest footprint is a day later,
-- so the grid runs to whichever is later.
days as (
    select calendar.date_day
    from calendar
    where calendar.date_day <= (
            select greatest(as_of.as_of_date, max(spans.last_day))
            from as_of
            cross join spans
            group by as_of.as_of_date
        )
        and calendar.date_day >= (select min(rebuild_from) from rebuild)
),

grid as (
    select
        rebuild.office_code,
        rebuild.rebuild_from,
        days.date_day as day
    from rebuild
    inner join days
        on days.date_day >= rebuild.rebuild_from
),

acts_daily as (
    select
        acts.office_code,
        acts.registration_date as day,
        {{ civstat.count_if("acts.act_type = 'birth'") }} as births_registered,
        {{ civstat.count_if("acts.act_type = 'death'") }} as deaths_registered
    from (
        select office_code, registration_date, 'birth' as act_type from births where not is_cancelled
        union all
        select office_code, registration_date, 'death' as act_type from deaths where not is_cancelled
    ) as acts
    inner join rebuild
        on acts.office_code = rebuild.office_code
        and acts.registration_date >= rebuild.rebuild_from
    group by acts.office_code, acts.registration_date
),

declaration_events as (
    select office_code, submitted_date as day, 1 as received, 0 as decided, status, 0 as is_decision
    from declarations
    union all
    select office_code, decided_date as day, 0 as received, 1 as decided, status, 1 as is_decision
    from declarations
    where decided_date is not null
),

declarations_daily as (
    select
        declaration_events.office_code,
        declaration_events.day,
        cast(sum(declaration_events.received) as bigint) as declarations_received,
        {{ civstat.count_if("declaration_events.is_decision = 1 and declaration_events.status = 'registered'") }}
            as declarations_registered,
        {{ civstat.count_if("declaration_events.is_decision = 1 and declaration_events.status = 'rejected'") }}
            as declarations_rejected,
        {{ civstat.count_if("declaration_events.is_decision = 1 and declaration_events.status = 'expired'") }}
            as declarations_expired,
        cast(sum(declaration_events.received - declaration_events.decided) as bigint) as backlog_change
    from declaration_events
    inner join rebuild
        on declaration_events.office_code = rebuild.office_code
        and declaration_events.day >= rebuild.rebuild_from
    group by declaration_events.office_code, declaration_events.day
),

backlog_before as (
    select
        rebuild.office_code,
        {{ civstat.count_if('declarations.submitted_date < rebuild.rebuild_from') }}
        - {{ civstat.count_if('declarations.decided_date < rebuild.rebuild_from') }} as backlog
    from rebuild
    inner join declarations
        on rebuild.office_code = declarations.office_code
    group by rebuild.office_code
),

registration_lags as (
    select
        declarations.office_code,
        declarations.decided_date as day,
        {{ civstat.percentile_cont('declarations.days_to_registration', 0.5) }} as p50_days_to_registration,
        {{ civstat.percentile_cont('declarations.days_to_registration', 0.9) }} as p90_days_to_registration
    from declarations
    inner join rebuild
        on declarations.office_code = rebuild.office_code
        and declarations.decided_date >= rebuild.rebuild_from
    where declarations.status = 'registered'
    group by declarations.office_code, declarations.decided_date
),

documents_daily as (
    select
        requests.office_code,
        cast(requests.issued_at as date) as day,
        count(*) as documents_issued
    from requests
    inner join rebuild
        on requests.office_code = rebuild.office_code
        and cast(requests.issued_at as date) >= rebuild.rebuild_from
    where requests.status = 'issued'
    group by requests.office_code, cast(requests.issued_at as date)
),

notification_events as (
    select to_office_code as office_code, cast(created_at as date) as day, 1 as delta
    from notifications
    union all
    select to_office_code as office_code, cast(applied_at as date) as day, -1 as delta
    from notifications
    where applied_at is not null
),

notifications_daily as (
    select
        notification_events.office_code,
        notification_events.day,
        cast(sum(notification_events.delta) as bigint) as waiting_change
    from notification_events
    inner join rebuild
        on notification_events.office_code = rebuild.office_code
        and notification_events.day >= rebuild.rebuild_from
    group by notification_events.office_code, notification_events.day
),

waiting_before as (
    select
        rebuild.office_code,
        cast(sum(
            case when notification_events.day < rebuild.rebuild_from then notification_events.delta else 0 end
        ) as bigint) as waiting
    from rebuild
    inner join notification_events
        on rebuild.office_code = notification_events.office_code
    group by rebuild.office_code
),

daily as (
    select
        grid.office_code,
        grid.day,
        coalesce(acts_daily.births_registered, 0) as births_registered,
        coalesce(acts_daily.deaths_registered, 0) as deaths_registered,
        coalesce(declarations_daily.declarations_received, 0) as declarations_received,
        coalesce(declarations_daily.declarations_registered, 0) as declarations_registered,
        coalesce(declarations_daily.declarations_rejected, 0) as declarations_rejected,
        coalesce(declarations_daily.declarations_expired, 0) as declarations_expired,
        coalesce(backlog_before.backlog, 0)
            + sum(coalesce(declarations_daily.backlog_change, 0)) over (
                partition by grid.office_code
                order by grid.day
                rows between unbounded preceding and current row
            ) as backlog_end_of_day,
        registration_lags.p50_days_to_registration,
        registration_lags.p90_days_to_registration,
        coalesce(documents_daily.documents_issued, 0) as documents_issued,
        coalesce(waiting_before.waiting, 0)
            + sum(coalesce(notifications_daily.waiting_change, 0)) over (
                partition by grid.office_code
                order by grid.day
                rows between unbounded preceding and current row
            ) as notifications_waiting
    from grid
    left join acts_daily
        on grid.office_code = acts_daily.office_code
        and grid.day = acts_daily.day
    left join declarations_daily
        on grid.office_code = declarations_daily.office_code
        and grid.day = declarations_daily.day
    left join backlog_before
        on grid.office_code = backlog_before.office_code
    left join registration_lags
        on grid.office_code = registration_lags.office_code
        and grid.day = registration_lags.day
    left join documents_daily
        on grid.office_code = documents_daily.office_code
        and grid.day = documents_daily.day
    left join notifications_daily
        on grid.office_code = notifications_daily.office_code
        and grid.day = notifications_daily.day
    left join waiting_before
        on grid.office_code = waiting_before.office_code
),

final as (
    select
        -- ids
        cast(daily.office_code as text) as office_code,
        cast(geography.province_code as text) as province_code,
        cast(geography.region_code as text) as region_code,
        cast(daily.day as date) as day,

        -- acts
        cast(daily.births_registered as bigint) as births_registered,
        cast(daily.deaths_registered as bigint) as deaths_registered,
        cast(daily.births_registered + daily.deaths_registered as bigint) as acts_registered,

        -- declarations
        cast(daily.declarations_received as bigint) as declarations_received,
        cast(daily.declarations_registered as bigint) as declarations_registered,
        cast(daily.declarations_rejected as bigint) as declarations_rejected,
        cast(daily.declarations_expired as bigint) as declarations_expired,
        cast(daily.backlog_end_of_day as bigint) as backlog_end_of_day,
        cast(daily.p50_days_to_registration as double precision) as p50_days_to_registration,
        cast(daily.p90_days_to_registration as double precision) as p90_days_to_registration,

        -- documents and notifications
        cast(daily.documents_issued as bigint) as documents_issued,
        cast(daily.notifications_waiting as bigint) as notifications_waiting,

        -- bookkeeping
        cast(inputs.feed_position as text) as feed_position
    from daily
    left join geography
        on daily.office_code = geography.office_code
    cross join inputs
)

select * from final
