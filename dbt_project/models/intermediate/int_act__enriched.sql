-- Current acts with what every fact and indicator needs: office geography, legal deadline
-- (moved to the next working day), registration delay and timeliness class, corrections,
-- infant flag and age group. Incremental per act (acts touched since the last build).
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
    {% if is_incremental() %}
    where feed_position > {{ civstat.watermark() }}
    {% endif %}
),

history as (
    select * from {{ ref('int_act__history') }}
),

calendar as (
    select * from {{ ref('int_calendar__days') }}
),

geography as (
    select * from {{ ref('int_office__geography') }}
),

corrections as (
    select
        act_id,
        {{ civstat.count_if('change_kind in ' ~ civstat.correction_kinds_list()) }} as correction_count
    from history
    where act_id in (select act_id from acts)
    group by act_id
),

with_deadline_days as (
    select
        *,
        {{ civstat.legal_deadline_days('act_type', 'is_abroad') }} as deadline_days
    from acts
),

located as (
    select
        with_deadline_days.*,
        geography.commune_code,
        geography.province_code,
        geography.region_code,
        geography.live_since as office_live_since,
        coalesce(
            calendar.next_working_day,
            {{ civstat.add_days('with_deadline_days.event_date', 'with_deadline_days.deadline_days') }}
        ) as deadline_date,
        {{ civstat.date_diff_days('with_deadline_days.event_date', 'with_deadline_days.registration_date') }}
            as registration_delay_days,
        coalesce(corrections.correction_count, 0) as correction_count
    from with_deadline_days
    left join calendar
        on calendar.date_day = {{ civstat.add_days('with_deadline_days.event_date', 'with_deadline_days.deadline_days') }}
    left join geography
        on with_deadline_days.office_code = geography.office_code
    left join corrections
        on with_deadline_days.act_id = corrections.act_id
),

aged as (
    select
        *,
        coalesce(
            age_years,
            cast(floor({{ civstat.date_diff_days('birth_date', 'event_date') }} / 365.25) as integer)
        ) as age_years_at_event
    from located
),

final as (
    select
        -- ids
        act_id,
        act_type,
        office_code,
        commune_code,
        province_code,
        region_code,
        register_year,
        act_number,
        declaration_id,

        -- dates
        event_date,
        {{ civstat.month_start('event_date') }} as event_month,
        registration_date,
        {{ civstat.month_start('registration_date') }} as registration_month,
        registered_at,
        deadline_days,
        deadline_date,

        -- timeliness
        registration_delay_days,
        {{ civstat.timeliness_class('registration_date', 'deadline_date', 'registration_delay_days') }}
            as timeliness_class,
        registration_basis,
        is_abroad,
        coalesce(registration_date >= office_live_since, false) as is_electronic,

        -- state
        status,
        is_cancelled,
        correction_count > 0 as is_corrected,
        correction_count,
        version,
        cancelled_at,

        -- the person
        sex,
        birth_date,
        age_years,
        age_years_at_event,
        {{ civstat.age_group('age_years_at_event') }} as age_group,
        case
            when act_type <> 'death' then null
            when birth_date is not null then event_date < {{ civstat.add_years('birth_date', 1) }}
            else coalesce(age_years < 1, false)
        end as is_infant,
        has_national_id,
        nationality,
        plurality,
        event_place_kind,
        event_commune_code,
        event_country_code,

        -- parents
        mother_age,
        father_age,
        mother_nationality,
        father_nationality,

        -- bookkeeping
        feed_position
    from aged
)

select * from final
