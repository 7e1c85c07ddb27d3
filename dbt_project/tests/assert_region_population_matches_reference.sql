-- The registry's region populations (landed in raw) agree with the HCP reference seed.
{{ config(severity='warn', meta={'dagster': {'ref': {'name': 'stg_registry__regions'}}}) }}

with

regions as (
    select * from {{ ref('stg_registry__regions') }}
),

reference_population as (
    select * from {{ ref('ref_region_population') }}
)

select
    regions.region_code,
    regions.population_2024,
    reference_population.population_2024 as reference_population_2024
from regions
left join reference_population
    on regions.region_code = reference_population.region_code
where reference_population.region_code is null
    or regions.population_2024 <> reference_population.population_2024
    or regions.population_2014 <> reference_population.population_2014
