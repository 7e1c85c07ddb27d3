-- Current state of every portal/institution declaration (latest after-image). Personal data
-- of the declarant (name, phone, e-mail) and the free payload stay in raw.
{{
    config(
        materialized='incremental',
        unique_key='declaration_id',
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
    {{ civstat.latest_after_images('changes', 'declaration', first_at_kinds=['submit', 'register', 'reject', 'expire']) }}
),

typed as (
    select
        {{ civstat.json_bigint('after_image', 'declaration_id') }} as declaration_id,
        {{ civstat.json_text('after_image', 'tracking_number') }} as tracking_number,
        {{ civstat.json_text('after_image', 'event_type') }} as event_type,
        {{ civstat.json_date('after_image', 'event_date') }} as event_date,
        {{ civstat.json_text('after_image', 'office_code') }} as office_code,
        {{ civstat.json_text('after_image', 'channel') }} as channel,
        {{ civstat.json_text('after_image', 'event_place_kind') }} as event_place_kind,
        {{ civstat.json_date('after_image', 'deadline_date') }} as deadline_date,
        {{ civstat.json_text('after_image', 'status') }} as status,
        {{ civstat.json_int('after_image', 'version') }} as version,
        {{ civstat.json_text('after_image', 'declarant_relation') }} as declarant_relation,
        {{ civstat.json_text('after_image', 'locale') }} as locale,
        {{ civstat.json_timestamp('after_image', 'submitted_at') }} as image_submitted_at,
        {{ civstat.json_timestamp('after_image', 'review_started_at') }} as review_started_at,
        {{ civstat.json_timestamp('after_image', 'decided_at') }} as image_decided_at,
        {{ civstat.json_bigint('after_image', 'act_id') }} as act_id,
        first_submit_at,
        first_register_at,
        first_reject_at,
        first_expire_at,
        last_changed_at,
        feed_position
    from latest_images
),

final as (
    select
        -- ids
        declaration_id,
        tracking_number,
        act_id,
        office_code,

        -- attributes
        event_type,
        event_date,
        channel,
        event_place_kind,
        declarant_relation,
        locale,
        status,
        version,

        -- dates
        deadline_date,
        coalesce(image_submitted_at, first_submit_at) as submitted_at,
        review_started_at,
        -- a terminal status is dated by the after-image, else by the change that set it
        case
            when status = 'registered' then coalesce(image_decided_at, first_register_at)
            when status = 'rejected' then coalesce(image_decided_at, first_reject_at)
            when status = 'expired' then coalesce(image_decided_at, first_expire_at)
        end as decided_at,
        last_changed_at,

        -- bookkeeping
        feed_position
    from typed
)

select * from final
