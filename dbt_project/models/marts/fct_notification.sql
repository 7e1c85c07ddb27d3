-- One row per notification, with the lag of each step: created -> received -> applied.
-- The sending region is the sending office's, or for a court the region of the court's
-- province (through the family event).
{{
    config(
        materialized='incremental',
        unique_key='notification_id',
        incremental_strategy='logged_delete_insert',
    )
}}

with

notifications as (
    select * from {{ ref('stg_registry__notifications') }}
    {% if is_incremental() %}
    where feed_position > {{ civstat.watermark() }}
    {% endif %}
),

geography as (
    select * from {{ ref('int_office__geography') }}
),

family_events as (
    select * from {{ ref('stg_registry__family_events') }}
),

provinces as (
    select * from {{ ref('stg_registry__provinces') }}
),

final as (
    select
        -- ids
        notifications.notification_id,
        notifications.family_event_id,
        notifications.target_act_id,
        notifications.from_office_code,
        coalesce(from_office.region_code, court_province.region_code) as from_region_code,
        notifications.to_office_code,
        to_office.region_code as to_region_code,

        -- attributes
        notifications.event_type,
        notifications.source_kind,
        notifications.status,

        -- timestamps
        notifications.created_at,
        notifications.received_at,
        notifications.applied_at,

        -- lags (hours)
        {{ civstat.hours_between('notifications.created_at', 'notifications.received_at') }} as hours_to_receive,
        {{ civstat.hours_between('notifications.received_at', 'notifications.applied_at') }} as hours_to_apply,
        {{ civstat.hours_between('notifications.created_at', 'notifications.applied_at') }} as hours_total,

        -- bookkeeping
        notifications.feed_position
    from notifications
    left join geography as from_office
        on notifications.from_office_code = from_office.office_code
    left join geography as to_office
        on notifications.to_office_code = to_office.office_code
    left join family_events
        on notifications.family_event_id = family_events.family_event_id
    left join provinces as court_province
        on family_events.court_province_code = court_province.province_code
)

select * from final
