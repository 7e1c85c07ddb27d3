-- One row per death act in its current state (cancelled acts flagged, left out of counts).
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
    where act_type = 'death'
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

        -- the deceased
        sex,
        age_years,
        age_group,
        coalesce(is_infant, false) as is_infant,
        has_national_id as national_id_present,
        birth_date,
        event_place_kind,
        is_abroad,

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
