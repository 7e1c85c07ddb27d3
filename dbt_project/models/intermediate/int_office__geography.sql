-- Each office with its commune, province and region (names in French and Arabic). Consular
-- offices have no commune, province or region.
with

offices as (
    select * from {{ ref('stg_registry__offices') }}
),

communes as (
    select * from {{ ref('stg_registry__communes') }}
),

provinces as (
    select * from {{ ref('stg_registry__provinces') }}
),

regions as (
    select * from {{ ref('stg_registry__regions') }}
),

final as (
    select
        -- ids
        offices.office_code,
        offices.office_kind,
        offices.commune_code,
        coalesce(offices.province_code, communes.province_code) as province_code,
        coalesce(offices.region_code, communes.region_code, provinces.region_code) as region_code,
        offices.country_code,

        -- names
        offices.office_name_fr,
        offices.office_name_ar,
        communes.commune_name_fr,
        communes.commune_name_ar,
        provinces.province_name_fr,
        provinces.province_name_ar,
        regions.region_name_fr,
        regions.region_name_ar,

        -- attributes
        communes.commune_kind,
        offices.office_kind = 'consular' as is_consular,
        offices.live_since,
        offices.population_2024
    from offices
    left join communes
        on offices.commune_code = communes.commune_code
    left join provinces
        on coalesce(offices.province_code, communes.province_code) = provinces.province_code
    left join regions
        on coalesce(offices.region_code, communes.region_code, provinces.region_code) = regions.region_code
)

select * from final
