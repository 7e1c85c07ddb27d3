-- One row per birth act in its current state. Cancelled acts stay, flagged (is_cancelled);
-- every indicator leaves them out. Corrections are applied (current after-image).
{{
    config(
        materialized='incremental',
        unique_key='act_id',
        incremental_strategy='logged_delete_insert',
        post_hook="{{ civstat.drop_excluded_acts() }}",
    )
}}

with

acts as (
    select * from {{ ref('int_act__enriched') }}
    where act_type = 'birth'
        -- acts quarantined for exclusion by the quality suites (macros/quarantine.sql)
        and act_id not in ({{ civstat.excluded_act_ids() }})
    {% if is_incremental() %}
        and feed_position > {{ civstat.watermark() }}
    {% endif %}
),

final as (
    select
        -- ids
        act_id,
        office_code,
        commune_code,
        province_code,
        region_code,
        register_year,
        act_number,
        declaration_id,

        -- dates
        event_date,
        event_month,
        registration_date,
        registered_at,
        deadline_date,

        -- timeliness
        registration_delay_days,
        timeliness_class,
        registration_basis,
        is_electronic,

        -- the child
        sex,
        plurality,
        event_place_kind,
        is_abroad,

        -- parents
        mother_age,
        father_age,
        mother_nationality,
        father_nationality,

        -- state
        is_cancelled,
        is_corrected,
        correction_count,
        version,

        -- bookkeeping
        feed_position
    from acts
)

select * from final
