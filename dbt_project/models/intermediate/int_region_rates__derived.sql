-- Reference rates per region (docs/dbt.md, "Expected counts"):
--   crude birth rate  = national CBR (WDI 2019) x regional TFR 2024 / national TFR 2024;
--   crude death rate  = urban CDR x urban share 2024 + rural CDR x rural share 2024 (ENDPR 2009-10);
--   male share of births = SRB / (SRB + 100) (reference SRB var, 105);
--   male share of deaths = male CDR / (male CDR + female CDR) (ENDPR 2009-10, equal populations).
-- Population 2014 comes from the seed (HCP RGPH 2014), 2024 and names from the registry.
with

regions as (
    select * from {{ ref('stg_registry__regions') }}
),

reference_population as (
    select * from {{ ref('ref_region_population') }}
),

rates as (
    select * from {{ ref('ref_vital_rates') }}
),

national_rates as (
    select
        max(case when indicator = 'crude_birth_rate' then value end) as cbr_national,
        max(case when indicator = 'total_fertility_rate' and geography_level = 'country' then value end) as tfr_national,
        max(case when indicator = 'crude_death_rate' and area = 'total' and sex = 'all' then value end) as cdr_national,
        max(case when indicator = 'crude_death_rate' and area = 'urban' and sex = 'all' then value end) as cdr_urban,
        max(case when indicator = 'crude_death_rate' and area = 'rural' and sex = 'all' then value end) as cdr_rural,
        max(case when indicator = 'crude_death_rate' and area = 'total' and sex = 'male' then value end) as cdr_male,
        max(case when indicator = 'crude_death_rate' and area = 'total' and sex = 'female' then value end) as cdr_female
    from rates
    where geography_code = 'MA'
),

regional_fertility as (
    select
        cast(geography_code as text) as region_code,
        value as tfr_region
    from rates
    where indicator = 'total_fertility_rate'
        and geography_level = 'region'
),

national_population as (
    select
        {{ civstat.safe_divide('sum(population_2024_urban)', 'sum(population_2024)') }} as urban_share_national
    from reference_population
),

joined as (
    select
        regions.region_code,
        regions.region_name_fr,
        regions.region_name_ar,
        coalesce(reference_population.population_2014, regions.population_2014) as population_2014,
        coalesce(regions.population_2024, reference_population.population_2024) as population_2024,
        reference_population.population_2024_urban,
        reference_population.population_2024_rural,
        coalesce(
            {{ civstat.safe_divide('reference_population.population_2024_urban', 'reference_population.population_2024') }},
            national_population.urban_share_national
        ) as urban_share_2024,
        coalesce(regional_fertility.tfr_region, national_rates.tfr_national) as tfr_region,
        national_rates.*
    from regions
    left join reference_population
        on regions.region_code = cast(reference_population.region_code as text)
    left join regional_fertility
        on regions.region_code = regional_fertility.region_code
    cross join national_rates
    cross join national_population
),

final as (
    select
        -- ids
        region_code,
        region_name_fr,
        region_name_ar,

        -- population
        cast(population_2014 as bigint) as population_2014,
        cast(population_2024 as bigint) as population_2024,
        cast(population_2024_urban as bigint) as population_2024_urban,
        cast(population_2024_rural as bigint) as population_2024_rural,
        cast(urban_share_2024 as double precision) as urban_share_2024,

        -- reference rates (per 1,000 population per year)
        cast(tfr_region as double precision) as tfr_region,
        cast(tfr_national as double precision) as tfr_national,
        cast(cbr_national as double precision) as cbr_national,
        cast(cbr_national * tfr_region / tfr_national as double precision) as cbr_reference,
        cast(
            urban_share_2024 * cdr_urban + (1 - urban_share_2024) * cdr_rural
            as double precision
        ) as cdr_reference,
        cast({{ var('reference_sex_ratio_at_birth') }} as double precision)
            / ({{ var('reference_sex_ratio_at_birth') }} + 100) as male_share_births,
        {{ civstat.safe_divide('cdr_male', 'cdr_male + cdr_female') }} as male_share_deaths
    from joined
)

select * from final
