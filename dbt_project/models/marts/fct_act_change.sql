-- One row per change made to an act after its creation: amendments, corrections, marginal
-- notes (with the kind of note added) and cancellations.
{{
    config(
        materialized='incremental',
        unique_key='change_id',
        incremental_strategy='logged_delete_insert',
    )
}}

with

history as (
    select * from {{ ref('int_act__history') }}
    where change_kind <> 'create'
    {% if is_incremental() %}
        and feed_position > {{ civstat.watermark() }}
    {% endif %}
),

geography as (
    select * from {{ ref('int_office__geography') }}
),

final as (
    select
        -- ids
        history.change_id,
        history.act_id,
        history.act_type,
        history.office_code,
        geography.region_code,

        -- the change
        history.change_kind,
        history.added_note_kind as note_kind,
        {{ civstat.legal_basis_kind('history.legal_basis') }} as legal_basis_kind,
        history.version,

        -- timestamps
        history.valid_from as changed_at,
        cast(history.valid_from as date) as changed_date,

        -- bookkeeping
        history.feed_position
    from history
    left join geography
        on history.office_code = geography.office_code
)

select * from final
