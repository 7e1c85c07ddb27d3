-- Registrations of births and deaths by office and month of registration, split by timeliness
-- class (on_time: by the legal deadline moved to the next working day; late: within
-- timeliness.late_max_days of the event; delayed: beyond). Thresholds: vars deadline_days and
-- timeliness (mirror of registry_api/reference/rules.toml). Cancelled acts are not counted.
-- Incremental on (office, registration month, event type) cells touched by any version of a
-- touched act.
{{
    config(
        materialized='incremental',
        unique_key=['office_code', 'registration_month', 'event_type'],
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

history as (
    select * from {{ ref('int_act__history') }}
),

geography as (
    select * from {{ ref('dim_geography') }}
),

registrations as (
    select
        'birth' as event_type,
        office_code,
        {{ civstat.month_start('registration_date') }} as registration_month,
        timeliness_class
    from births
    where not is_cancelled
    union all
    select
        'death' as event_type,
        office_code,
        {{ civstat.month_start('registration_date') }} as registration_month,
        timeliness_class
    from deaths
    where not is_cancelled
),

act_cells as (
    select
        act_type as event_type,
        office_code,
        registration_month,
        act_id,
        feed_position
    from history
    where act_type in ('birth', 'death')
        and registration_month is not null
),

inputs as (
    select max(feed_position) as feed_position
    from act_cells
),

{% if is_incremental() %}
cells as (
    select distinct event_type, office_code, registration_month
    from act_cells
    where act_id in (
        select act_id from history where feed_position > {{ civstat.watermark() }}
    )
),
{% else %}
cells as (
    select distinct event_type, office_code, registration_month
    from act_cells
),
{% endif %}

counts as (
    select
        registrations.event_type,
        registrations.office_code,
        registrations.registration_month,
        count(*) as registrations,
        {{ civstat.count_if("registrations.timeliness_class = 'on_time'") }} as on_time,
        {{ civstat.count_if("registrations.timeliness_class = 'late'") }} as late,
        {{ civstat.count_if("registrations.timeliness_class = 'delayed'") }} as delayed
    from registrations
    inner join cells
        on registrations.event_type = cells.event_type
        and registrations.office_code = cells.office_code
        and registrations.registration_month = cells.registration_month
    group by registrations.event_type, registrations.office_code, registrations.registration_month
),

final as (
    select
        -- ids
        cast(geography.region_code as text) as region_code,
        cast(cells.office_code as text) as office_code,
        cast(cells.registration_month as date) as registration_month,
        cast(cells.event_type as text) as event_type,

        -- counts
        cast(coalesce(counts.registrations, 0) as bigint) as registrations,
        cast(coalesce(counts.on_time, 0) as bigint) as on_time,
        cast(coalesce(counts.late, 0) as bigint) as late,
        cast(coalesce(counts.delayed, 0) as bigint) as delayed,

        -- shares
        {{ civstat.safe_divide('counts.on_time', 'counts.registrations') }} as share_on_time,
        {{ civstat.safe_divide('counts.late', 'counts.registrations') }} as share_late,
        {{ civstat.safe_divide('counts.delayed', 'counts.registrations') }} as share_delayed,

        -- bookkeeping
        cast(inputs.feed_position as text) as feed_position
    from cells
    left join counts
        on cells.event_type = counts.event_type
        and cells.office_code = counts.office_code
        and cells.registration_month = counts.registration_month
    left join geography
        on cells.office_code = geography.office_code
    cross join inputs
)

select * from final
