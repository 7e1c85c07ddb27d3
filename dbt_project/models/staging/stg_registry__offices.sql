-- A table, not a view: on PostgreSQL a view would stop the landing from replacing the
-- raw snapshot table (drop/create); the reference tables are small.
{{ config(materialized='table') }}

with

source as (
    select * from {{ source('registry', 'offices') }}
),

renamed as (
    select
        -- ids
        cast(office_code as text) as office_code,
        cast(commune_code as text) as commune_code,
        cast(province_code as text) as province_code,
        cast(region_code as text) as region_code,

        -- attributes
        cast(office_kind as text) as office_kind,
        cast(name_fr as text) as office_name_fr,
        cast(name_ar as text) as office_name_ar,
        cast(coalesce(country_code, 'MA') as text) as country_code,

        -- dates
        cast(live_since as date) as live_since,

        -- measures
        cast(population_2024 as bigint) as population_2024
    from source
)

select * from renamed
