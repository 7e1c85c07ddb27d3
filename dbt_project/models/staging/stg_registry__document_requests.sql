-- Current state of every request for a copy or an extract of an act.
{{
    config(
        materialized='incremental',
        unique_key='request_id',
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
    {{ civstat.latest_after_images('changes', 'document_request', first_at_kinds=['request', 'issue', 'refuse']) }}
),

typed as (
    select
        {{ civstat.json_bigint('after_image', 'request_id') }} as request_id,
        {{ civstat.json_bigint('after_image', 'act_id') }} as act_id,
        {{ civstat.json_text('after_image', 'office_code') }} as office_code,
        {{ civstat.json_text('after_image', 'document_kind') }} as document_kind,
        {{ civstat.json_text('after_image', 'channel') }} as channel,
        {{ civstat.json_text('after_image', 'status') }} as status,
        {{ civstat.json_int('after_image', 'version') }} as version,
        {{ civstat.json_timestamp('after_image', 'requested_at') }} as image_requested_at,
        {{ civstat.json_timestamp('after_image', 'issued_at') }} as image_issued_at,
        first_request_at,
        first_issue_at,
        first_refuse_at,
        last_changed_at,
        feed_position
    from latest_images
),

final as (
    select
        -- ids
        request_id,
        act_id,
        office_code,

        -- attributes
        document_kind,
        channel,
        status,
        version,

        -- timestamps
        coalesce(image_requested_at, first_request_at) as requested_at,
        case when status = 'issued' then coalesce(image_issued_at, first_issue_at) end as issued_at,
        case when status = 'refused' then first_refuse_at end as refused_at,
        last_changed_at,

        -- bookkeeping
        feed_position
    from typed
)

select * from final
