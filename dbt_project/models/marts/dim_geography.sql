with

offices as (
    select * from {{ ref('int_office__geography') }}
),

final as (
    select
        -- ids
        office_code,
        office_kind,
        office_name_fr,
        office_name_ar,
        commune_code,
        commune_name_fr,
        commune_name_ar,
        province_code,
        province_name_fr,
        province_name_ar,
        region_code,
        region_name_fr,
        region_name_ar,
        country_code,

        -- attributes
        commune_kind,
        is_consular,
        live_since,
        population_2024
    from offices
)

select * from final
