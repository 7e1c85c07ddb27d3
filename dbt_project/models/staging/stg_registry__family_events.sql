-- Marriages and divorces concluded by a court's family section (not acts: they are noted in
-- the margin of each spouse's birth act).
{{
    config(
        materialized='incremental',
        unique_key='family_event_id',
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
    {{ civstat.latest_after_images('changes', 'family_event') }}
),

typed as (
    select
        {{ civstat.json_bigint('after_image', 'family_event_id') }} as family_event_id,
        {{ civstat.json_text('after_image', 'event_type') }} as event_type,
        {{ civstat.json_date('after_image', 'event_date') }} as event_date,
        {{ civstat.json_text('after_image', 'divorce_kind') }} as divorce_kind,
        {{ civstat.json_text('after_image', 'court_name') }} as court_name,
        {{ civstat.json_text('after_image', 'court_province_code') }} as court_province_code,
        {{ civstat.json_int('after_image', 'husband_age') }} as husband_age,
        {{ civstat.json_int('after_image', 'wife_age') }} as wife_age,
        {{ civstat.json_bigint('after_image', 'husband_birth_act_id') }} as husband_birth_act_id,
        {{ civstat.json_bigint('after_image', 'wife_birth_act_id') }} as wife_birth_act_id,
        {{ civstat.json_text('after_image', 'husband_birth_office_code') }} as husband_birth_office_code,
        {{ civstat.json_text('after_image', 'wife_birth_office_code') }} as wife_birth_office_code,
        {{ civstat.json_int('after_image', 'version') }} as version,
        {{ civstat.json_timestamp('after_image', 'recorded_at') }} as recorded_at,
        last_changed_at,
        feed_position
    from latest_images
),

final as (
    select
        -- ids
        family_event_id,
        court_province_code,
        husband_birth_act_id,
        wife_birth_act_id,
        husband_birth_office_code,
        wife_birth_office_code,

        -- attributes
        event_type,
        event_date,
        divorce_kind,
        court_name,
        husband_age,
        wife_age,
        version,

        -- timestamps
        recorded_at,
        last_changed_at,

        -- bookkeeping
        feed_position
    from typed
)

select * from final
