-- How far the landed change log goes: one row. Indicators use as_of_date instead of the wall
-- clock, so a rebuild on another day gives the same numbers.
with

changes as (
    select * from {{ ref('stg_registry__changes') }}
),

final as (
    select
        max(changed_at) as as_of_at,
        max(changed_date) as as_of_date,
        max(feed_position) as feed_position,
        count(*) as changes_landed
    from changes
)

select * from final
