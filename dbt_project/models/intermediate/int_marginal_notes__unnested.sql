-- One row per marginal note on the current version of an act (the act's after-image carries
-- its notes as a JSON array). Incremental per act: an act touched since the last build has all
-- its notes rewritten.
{{
    config(
        materialized='incremental',
        unique_key='act_id',
        incremental_strategy='logged_delete_insert',
    )
}}

with

acts as (
    select * from {{ ref('stg_registry__acts') }}
    where marginal_note_count > 0
    {% if is_incremental() %}
        and feed_position > {{ civstat.watermark() }}
    {% endif %}
),

notes as (
    select
        acts.act_id,
        acts.act_type,
        acts.office_code,
        acts.feed_position,
        note.value as note
    from acts
    {{ civstat.json_array_rows('acts.marginal_notes', 'note') }}
),

final as (
    select
        -- ids
        {{ civstat.json_bigint('note', 'note_id') }} as note_id,
        act_id,
        act_type,
        office_code,
        {{ civstat.json_bigint('note', 'family_event_id') }} as family_event_id,
        {{ civstat.json_bigint('note', 'notification_id') }} as notification_id,

        -- attributes
        {{ civstat.json_text('note', 'note_kind') }} as note_kind,
        {{ civstat.json_text('note', 'legal_basis') }} as legal_basis,

        -- timestamps
        {{ civstat.json_timestamp('note', 'noted_at') }} as noted_at,

        -- bookkeeping
        feed_position
    from notes
)

select * from final
