-- Every region with a population has, for every year observed, a row per sex and event type
-- with a positive expected count.
-- Dagster shows this test as an asset check of ind_completeness (it reads several models).
{{ config(meta={'dagster': {'ref': {'name': 'ind_completeness'}}}) }}
with

completeness as (
    select * from {{ ref('ind_completeness') }}
),

regions as (
    select * from {{ ref('dim_region') }}
    where population_2014 > 0
        and population_2024 > 0
),

years as (
    select distinct year from completeness
),

cells as (
    select
        regions.region_code,
        years.year,
        sexes.sex,
        event_types.event_type
    from regions
    cross join years
    cross join (select 'M' as sex union all select 'F' as sex) as sexes
    cross join (select 'birth' as event_type union all select 'death' as event_type) as event_types
)

select
    cells.*,
    completeness.expected
from cells
left join completeness
    on cells.region_code = completeness.region_code
    and cells.year = completeness.year
    and cells.sex = completeness.sex
    and cells.event_type = completeness.event_type
where completeness.expected is null
    or completeness.expected <= 0
