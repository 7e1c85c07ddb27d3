-- How far the landed change log goes: one row. Indicators use as_of_date instead of the wall
-- clock, so a rebuild on another day gives the same numbers.
-- The log only grows, so once built this row is carried forward from its previous version and
-- the changes landed since (macro landed_after_watermark: only the log's tail is read); a
-- --full-refresh recomputes it from the whole log. The newest feed position is built from the
-- newest (txid, change_id) pair: the same value as max(feed_position), without formatting a
-- position for every change read.
{%- set previous = none -%}
{%- if execute and not should_full_refresh() -%}
    {%- set previous = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) -%}
{%- endif %}
with

changes as not materialized (
    select * from {{ ref('stg_registry__changes') }}
    {%- if previous is not none %}
    where {{ civstat.landed_after_watermark() }}
    {%- endif %}
),

bounds as (
    select
        max(changed_at) as as_of_at,
        max(changed_date) as as_of_date,
        max(txid) as last_txid,
        count(*) as changes_landed
    from changes
),

last_change as (
    select max(change_id) as last_change_id
    from changes
    where txid = (select last_txid from bounds)
),

new_changes as (
    select
        bounds.as_of_at,
        bounds.as_of_date,
        case
            when bounds.last_txid is not null
                then {{ civstat.feed_position('bounds.last_txid', 'last_change.last_change_id') }}
        end as feed_position,
        bounds.changes_landed
    from bounds
    cross join last_change
),

final as (
    {%- if previous is not none %}
    select
        {#- the coalesces spell out what a missing side means (engines differ on greatest(x, null)) #}
        coalesce(greatest(previous.as_of_at, new_changes.as_of_at), previous.as_of_at, new_changes.as_of_at) as as_of_at,
        coalesce(greatest(previous.as_of_date, new_changes.as_of_date), previous.as_of_date, new_changes.as_of_date) as as_of_date,
        coalesce(new_changes.feed_position, previous.feed_position) as feed_position,
        previous.changes_landed + new_changes.changes_landed as changes_landed
    from {{ this }} as previous
    cross join new_changes
    {%- else %}
    select * from new_changes
    {%- endif %}
)

select * from final
