-- Versions of an act tile time: each version ends where the next one starts, so an as-of
-- query finds at most one version of each act at any instant.
with

history as (
    select * from {{ ref('int_act__history') }}
),

sequenced as (
    select
        act_id,
        version,
        valid_from,
        valid_to,
        lead(valid_from) over (partition by act_id order by version, feed_position) as next_valid_from
    from history
)

select *
from sequenced
where valid_to is distinct from next_valid_from
    or valid_to < valid_from
