-- SCD2 history of acts: one row per act version, valid from the change that wrote it until the
-- next change of the same act. "The registry as it was at T" is
--     where valid_from <= T and (valid_to > T or valid_to is null)
-- Incremental: the acts touched by changes landed since the last build are rebuilt whole
-- (their previous current row gets its valid_to), other acts are not read.
{{
    config(
        materialized='incremental',
        unique_key='change_id',
        incremental_strategy='logged_delete_insert',
    )
}}

with

-- not materialized: the incremental filter reads it twice, and each read must prune the log
-- before touching after-images (a materialized CTE would copy the whole log first)
changes as not materialized (
    select * from {{ ref('stg_registry__changes') }}
    where entity_type = 'act'
),

{% if is_incremental() %}
touched_acts as (
    select distinct entity_id as act_id
    from changes
    where {{ civstat.landed_after_watermark() }}
),
{% endif %}

act_changes as (
    select changes.*
    from changes
    {% if is_incremental() %}
    inner join touched_acts
        on changes.entity_id = touched_acts.act_id
    {% endif %}
),

versions as (
    select
        change_id,
        feed_position,
        change_kind,
        actor,
        legal_basis,
        changed_at,
        {{ civstat.json_last_element_text('after_image', 'marginal_notes', 'note_kind') }} as last_note_kind,
        {{ civstat.act_image_columns('after_image') }}
    from act_changes
),

sequenced as (
    select
        *,
        lead(changed_at) over (
            partition by act_id
            order by act_version, feed_position
        ) as next_changed_at,
        row_number() over (
            partition by act_id
            order by act_version desc, feed_position desc
        ) as recency_rank
    from versions
),

final as (
    select
        -- ids
        change_id,
        act_id,
        act_type,
        office_code,
        register_year,
        act_number,
        declaration_id,

        -- the change that wrote this version
        act_version as version,
        change_kind,
        actor,
        legal_basis,
        case when change_kind = 'marginal_note' then last_note_kind end as added_note_kind,

        -- validity
        changed_at as valid_from,
        next_changed_at as valid_to,
        recency_rank = 1 as is_current,

        -- the act as of this version
        status,
        status = 'cancelled' as is_cancelled,
        registration_basis,
        event_date,
        {{ civstat.month_start('event_date') }} as event_month,
        event_place_kind,
        event_commune_code,
        event_country_code,
        registered_at,
        registration_date,
        {{ civstat.month_start('registration_date') }} as registration_month,
        sex,
        birth_date,
        age_years,
        nationality,
        has_national_id,
        plurality,
        father_age,
        mother_age,
        father_nationality,
        mother_nationality,
        marginal_note_count,

        -- bookkeeping
        feed_position
    from sequenced
)

select * from final
