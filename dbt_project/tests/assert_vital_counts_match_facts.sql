-- The monthly indicator adds up to the facts: every non-cancelled birth and death of a region
-- is counted once, cancelled acts never.
-- Dagster shows this test as an asset check of ind_vital_region_month (it reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'ind_vital_region_month'}}}) }}
with

vital as (
    select * from {{ ref('ind_vital_region_month') }}
),

births as (
    select * from {{ ref('fct_birth') }}
    where not is_cancelled
        and region_code is not null
),

deaths as (
    select * from {{ ref('fct_death') }}
    where not is_cancelled
        and region_code is not null
),

totals as (
    select
        (select coalesce(sum(births), 0) from vital) as indicator_births,
        (select count(*) from births) as fact_births,
        (select coalesce(sum(deaths), 0) from vital) as indicator_deaths,
        (select count(*) from deaths) as fact_deaths,
        (select coalesce(sum(infant_deaths), 0) from vital) as indicator_infant_deaths,
        (select count(*) from deaths where is_infant) as fact_infant_deaths
)

select *
from totals
where indicator_births <> fact_births
    or indicator_deaths <> fact_deaths
    or indicator_infant_deaths <> fact_infant_deaths
