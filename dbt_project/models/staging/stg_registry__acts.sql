-- Current state of every birth and death act: its latest after-image (highest version).
-- Incremental: only acts touched by changes landed since the last build are re-read, with all
-- their changes, so the latest version wins even if it landed before an older one.
{{
    config(
        materialized='incremental',
        unique_key='act_id',
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
    {{ civstat.latest_after_images('changes', 'act', first_at_kinds=['create', 'cancel']) }}
),

typed as (
    select
        {{ civstat.act_image_columns('after_image') }},
        {{ civstat.json_value('after_image', 'marginal_notes') }} as marginal_notes,
        first_create_at,
        first_cancel_at,
        last_changed_at,
        feed_position
    from latest_images
),

final as (
    select
        -- ids
        act_id,
        act_type,
        office_code,
        register_year,
        act_number,
        declaration_id,
        birth_act_id,
        birth_office_code,

        -- state
        status,
        status = 'cancelled' as is_cancelled,
        act_version as version,
        registration_basis,
        court_name,
        judgment_reference,
        judgment_date,

        -- the event
        event_date,
        event_place_kind,
        event_commune_code,
        event_country_code,
        event_country_code <> 'MA' as is_abroad,
        registered_at,
        registration_date,

        -- the person
        sex,
        birth_date,
        age_years,
        nationality,
        has_national_id,
        marital_status,
        plurality,

        -- parents
        father_age,
        mother_age,
        father_nationality,
        mother_nationality,
        declarant_relation,

        -- notes
        marginal_note_count,
        marginal_notes,

        -- timestamps
        created_at,
        updated_at,
        first_create_at,
        first_cancel_at as cancelled_at,
        last_changed_at,

        -- bookkeeping
        feed_position
    from typed
)

select * from final
