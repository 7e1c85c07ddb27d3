-- A table, not a view: on PostgreSQL a view would stop the landing from replacing the
-- raw snapshot table (drop/create); the reference tables are small.
{{ config(materialized='table') }}

with

source as (
    select * from {{ source('registry', 'provinces') }}
),

renamed as (
    select
        -- ids
        cast(province_code as text) as province_code,
        cast(region_code as text) as region_code,

        -- attributes
        cast(province_kind as text) as province_kind,
        cast(name_fr as text) as province_name_fr,
        cast(name_ar as text) as province_name_ar,

        -- measures
        cast(population_2014 as bigint) as population_2014,
        cast(population_2024 as bigint) as population_2024
    from source
)

select * from renamed
