-- Current state of every notification (الإعلام) sent to the office holding a birth act.
{{
    config(
        materialized='incremental',
        unique_key='notification_id',
        incremental_strategy='logged_delete_insert',
    )
}}

with

-- not materialized: the incremental filter reads it twice, and each read must prune the log
-- before touching after-images (a materialized CTE would copy the whole log first)
changes as not materialized (
    select * from {{ ref('stg_registry__changes') }}
),

latest_images as (
    {{ civstat.latest_after_images('changes', 'notification', first_at_kinds=['send', 'receive', 'apply']) }}
),

typed as (
    select
        {{ civstat.json_bigint('after_image', 'notification_id') }} as notification_id,
        {{ civstat.json_text('after_image', 'event_type') }} as event_type,
        {{ civstat.json_text('after_image', 'source_kind') }} as source_kind,
        {{ civstat.json_text('after_image', 'from_office_code') }} as from_office_code,
        {{ civstat.json_text('after_image', 'from_court_name') }} as from_court_name,
        {{ civstat.json_text('after_image', 'to_office_code') }} as to_office_code,
        {{ civstat.json_bigint('after_image', 'target_act_id') }} as target_act_id,
        {{ civstat.json_bigint('after_image', 'source_act_id') }} as source_act_id,
        {{ civstat.json_bigint('after_image', 'family_event_id') }} as family_event_id,
        {{ civstat.json_bigint('after_image', 'marginal_note_id') }} as marginal_note_id,
        {{ civstat.json_text('after_image', 'status') }} as status,
        {{ civstat.json_int('after_image', 'version') }} as version,
        {{ civstat.json_timestamp('after_image', 'created_at') }} as image_created_at,
        {{ civstat.json_timestamp('after_image', 'received_at') }} as image_received_at,
        {{ civstat.json_timestamp('after_image', 'applied_at') }} as image_applied_at,
        first_send_at,
        first_receive_at,
        first_apply_at,
        last_changed_at,
        feed_position
    from latest_images
),

final as (
    select
        -- ids
        notification_id,
        family_event_id,
        target_act_id,
        source_act_id,
        marginal_note_id,
        from_office_code,
        to_office_code,

        -- attributes
        event_type,
        source_kind,
        from_court_name,
        status,
        version,

        -- timestamps
        coalesce(image_created_at, first_send_at) as created_at,
        case when status in ('received', 'applied') then coalesce(image_received_at, first_receive_at) end as received_at,
        case when status = 'applied' then coalesce(image_applied_at, first_apply_at) end as applied_at,
        last_changed_at,

        -- bookkeeping
        feed_position
    from typed
)

select * from final
