-- Per office: the first and last day any input left a trace there (every act version, every
-- declaration, document request and notification received) and the newest feed position
-- among them. ind_office_daily's grid starts at first_day and ends at the newest last_day.
-- Spans only widen and positions only grow, so once built this table is carried forward from
-- its previous version and the traces written since (feed_position past its newest): a
-- micro-batch reads the marts' tails only, not every footprint (1.1 s at 1M acts before,
-- growing with the warehouse). A --full-refresh recomputes it from everything.
{%- set previous = none -%}
{%- if execute and not should_full_refresh() -%}
    {%- set previous = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) -%}
{%- endif %}
with

history as (
    select * from {{ ref('int_act__history') }}
),

declarations as (
    select * from {{ ref('fct_declaration') }}
),

requests as (
    select * from {{ ref('fct_document_request') }}
),

notifications as (
    select * from {{ ref('fct_notification') }}
),

{% set since -%}
    {%- if previous is not none %} where feed_position > (select feed_position from watermark){% endif -%}
{%- endset %}

{%- if previous is not none %}
watermark as (
    select coalesce(max(feed_position), '') as feed_position
    from {{ this }}
),
{% endif %}

-- the dated trace every input leaves at an office (all act versions, so an act moved to
-- another office by a correction still counts at its old office)
footprints as (
    select office_code, registration_date as day, feed_position
    from history{{ since }}
    union all
    select office_code, submitted_date as day, feed_position
    from declarations{{ since }}
    union all
    select office_code, cast(requested_at as date) as day, feed_position
    from requests{{ since }}
    union all
    select to_office_code as office_code, cast(created_at as date) as day, feed_position
    from notifications{{ since }}
),

new_spans as (
    select
        office_code,
        min(day) as first_day,
        max(day) as last_day,
        max(feed_position) as feed_position
    from footprints
    where office_code is not null and day is not null
    group by office_code
),

merged as (
    {%- if previous is not none %}
    select
        coalesce(previous.office_code, new_spans.office_code) as office_code,
        {#- the coalesces spell out what a missing side means (engines differ on least(x, null)) #}
        coalesce(least(previous.first_day, new_spans.first_day), previous.first_day, new_spans.first_day) as first_day,
        coalesce(greatest(previous.last_day, new_spans.last_day), previous.last_day, new_spans.last_day) as last_day,
        coalesce(greatest(previous.feed_position, new_spans.feed_position), previous.feed_position, new_spans.feed_position)
            as feed_position
    from {{ this }} as previous
    full outer join new_spans
        on previous.office_code = new_spans.office_code
    {%- else %}
    select * from new_spans
    {%- endif %}
),

final as (
    select
        cast(office_code as text) as office_code,
        cast(first_day as date) as first_day,
        cast(last_day as date) as last_day,
        cast(feed_position as text) as feed_position
    from merged
)

select * from final
