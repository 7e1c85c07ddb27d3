-- One row per request for a full copy or an extract of an act, current state.
{{
    config(
        materialized='incremental',
        unique_key='request_id',
        incremental_strategy='logged_delete_insert',
    )
}}

with

requests as (
    select * from {{ ref('stg_registry__document_requests') }}
    {% if is_incremental() %}
    where feed_position > {{ civstat.watermark() }}
    {% endif %}
),

geography as (
    select * from {{ ref('int_office__geography') }}
),

final as (
    select
        -- ids
        requests.request_id,
        requests.act_id,
        requests.office_code,
        geography.region_code,

        -- attributes
        requests.document_kind,
        requests.channel,
        requests.status,

        -- timestamps
        requests.requested_at,
        requests.issued_at,
        requests.refused_at,

        -- measures
        {{ civstat.hours_between('requests.requested_at', 'requests.issued_at') }} as hours_to_issue,

        -- bookkeeping
        requests.feed_position
    from requests
    left join geography
        on requests.office_code = geography.office_code
)

select * from final
