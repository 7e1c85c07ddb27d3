-- One row per declaration in its current state, with its deadline and how long registration
-- took. Incremental: declarations touched since the last build, plus every declaration still
-- pending (is_overdue moves with the data's as-of date, not with their own changes).
{{
    config(
        materialized='incremental',
        unique_key='declaration_id',
        incremental_strategy='logged_delete_insert',
    )
}}

with

declarations as (
    select * from {{ ref('stg_registry__declarations') }}
    {% if is_incremental() %}
    where feed_position > {{ civstat.watermark() }}
        or declaration_id in (select declaration_id from {{ this }} where is_pending)
    {% endif %}
),

geography as (
    select * from {{ ref('int_office__geography') }}
),

as_of as (
    select * from {{ ref('int_registry__as_of') }}
),

dated as (
    select
        declarations.*,
        cast(declarations.submitted_at as date) as submitted_date,
        cast(declarations.decided_at as date) as decided_date,
        declarations.status in ('submitted', 'under_review') as is_pending,
        geography.region_code,
        geography.province_code,
        as_of.as_of_date
    from declarations
    left join geography
        on declarations.office_code = geography.office_code
    cross join as_of
),

final as (
    select
        -- ids
        declaration_id,
        tracking_number,
        act_id,
        office_code,
        region_code,
        province_code,

        -- attributes
        event_type,
        event_date,
        channel,
        status,

        -- dates
        submitted_at,
        submitted_date,
        deadline_date,
        decided_at,
        decided_date,

        -- measures
        case
            when status = 'registered'
                then {{ civstat.date_diff_days('submitted_date', 'decided_date') }}
        end as days_to_registration,
        is_pending,
        coalesce(is_pending and as_of_date > deadline_date, false) as is_overdue,

        -- bookkeeping
        feed_position
    from dated
)

select * from final
