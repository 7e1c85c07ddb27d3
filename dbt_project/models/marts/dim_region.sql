with

regions as (
    select * from {{ ref('int_region_rates__derived') }}
),

final as (
    select
        -- ids
        region_code,
        region_name_fr,
        region_name_ar,

        -- population (HCP legal population, RGPH 2014 and 2024)
        population_2014,
        population_2024,
        population_2024_urban,
        population_2024_rural,

        -- reference rates used for expected counts
        cbr_reference,
        cdr_reference
    from regions
)

select * from final
