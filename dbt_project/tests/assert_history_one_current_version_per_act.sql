-- Every act has exactly one current version in int_act__history, with an open validity.
with

history as (
    select * from {{ ref('int_act__history') }}
),

per_act as (
    select
        act_id,
        {{ civstat.count_if('is_current') }} as current_versions,
        {{ civstat.count_if('valid_to is null') }} as open_versions
    from history
    group by act_id
)

select *
from per_act
where current_versions <> 1
    or open_versions <> 1
