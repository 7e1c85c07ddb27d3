-- The current version in the history is the act's current state in staging.
-- Dagster shows this test as an asset check of int_act__history (it reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'int_act__history'}}}) }}
with

history as (
    select * from {{ ref('int_act__history') }}
    where is_current
),

acts as (
    select * from {{ ref('stg_registry__acts') }}
)

select
    acts.act_id,
    history.act_id as history_act_id
from acts
left join history
    on acts.act_id = history.act_id
where history.act_id is null
    or history.version <> acts.version
    or history.status <> acts.status
    or history.sex <> acts.sex
    or history.event_date <> acts.event_date
    or history.office_code <> acts.office_code
