-- One row per divorce recorded by a court's family section, with the marginal notes it should
-- produce (one on each spouse's birth act held by a known office) and those applied so far.
-- A table: small, and notes_applied changes with notifications, not with the event itself.
with

family_events as (
    select * from {{ ref('stg_registry__family_events') }}
    where event_type = 'divorce'
),

provinces as (
    select * from {{ ref('stg_registry__provinces') }}
),

notes as (
    select * from {{ ref('int_marginal_notes__unnested') }}
),

notes_applied as (
    select
        family_event_id,
        count(distinct act_id) as notes_applied
    from notes
    where family_event_id is not null
    group by family_event_id
),

final as (
    select
        -- ids
        family_events.family_event_id,
        family_events.court_province_code,
        provinces.region_code,

        -- dates
        family_events.event_date,
        {{ civstat.month_start('family_events.event_date') }} as event_month,

        -- attributes
        family_events.husband_age,
        family_events.wife_age,
        divorce_kind,
        family_events.court_name,

        -- marginal notes
        cast(coalesce(notes_applied.notes_applied, 0) as integer) as notes_applied,
        cast(
            case when family_events.husband_birth_act_id is not null
                or family_events.husband_birth_office_code is not null then 1 else 0 end
            + case when family_events.wife_birth_act_id is not null
                or family_events.wife_birth_office_code is not null then 1 else 0 end
            as integer
        ) as notes_expected,

        -- bookkeeping
        family_events.feed_position
    from family_events
    left join provinces
        on family_events.court_province_code = provinces.province_code
    left join notes_applied
        on family_events.family_event_id = notes_applied.family_event_id
)

select * from final
