-- Hours from the creation of a notification to its application on the birth act (p50/p95),
-- by sending and receiving region and kind of event. Regions are null for consulates and for
-- senders without a known region.
with

notifications as (
    select * from {{ ref('fct_notification') }}
),

final as (
    select
        -- ids
        cast(from_region_code as text) as from_region_code,
        cast(to_region_code as text) as to_region_code,
        cast(event_type as text) as event_type,

        -- counts
        cast(count(*) as bigint) as notifications,
        {{ civstat.count_if("status = 'applied'") }} as applied,

        -- lag (hours, applied notifications only)
        {{ civstat.percentile_cont('hours_total', 0.5) }} as p50_hours,
        {{ civstat.percentile_cont('hours_total', 0.95) }} as p95_hours
    from notifications
    group by from_region_code, to_region_code, event_type
)

select * from final
