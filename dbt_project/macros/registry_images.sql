{#-
    Typed columns read from an act after-image (contracts §1). Names, national ids and free
    text are left out on purpose: the warehouse keeps what statistics need (data minimisation);
    `has_national_id` says whether an id was recorded.
-#}
{% macro act_image_columns(image) -%}
        -- ids
        {{ civstat.json_bigint(image, 'act_id') }} as act_id,
        {{ civstat.json_text(image, 'act_type') }} as act_type,
        {{ civstat.json_text(image, 'office_code') }} as office_code,
        {{ civstat.json_int(image, 'register_year') }} as register_year,
        {{ civstat.json_int(image, 'act_number') }} as act_number,
        {{ civstat.json_bigint(image, 'declaration_id') }} as declaration_id,
        {{ civstat.json_bigint(image, 'birth_act_id') }} as birth_act_id,
        {{ civstat.json_text(image, 'birth_office_code') }} as birth_office_code,
        -- state
        {{ civstat.json_text(image, 'status') }} as status,
        {{ civstat.json_int(image, 'version') }} as act_version,
        {{ civstat.json_text(image, 'registration_basis') }} as registration_basis,
        {{ civstat.json_text(image, 'court_name') }} as court_name,
        {{ civstat.json_text(image, 'judgment_reference') }} as judgment_reference,
        {{ civstat.json_date(image, 'judgment_date') }} as judgment_date,
        -- the event
        {{ civstat.json_date(image, 'event_date') }} as event_date,
        {{ civstat.json_text(image, 'event_place_kind') }} as event_place_kind,
        {{ civstat.json_text(image, 'event_commune_code') }} as event_commune_code,
        coalesce({{ civstat.json_text(image, 'event_country_code') }}, 'MA') as event_country_code,
        {{ civstat.json_timestamp(image, 'registered_at') }} as registered_at,
        {{ civstat.json_date(image, 'registration_date') }} as registration_date,
        -- the person
        {{ civstat.json_text(image, 'sex') }} as sex,
        {{ civstat.json_date(image, 'birth_date') }} as birth_date,
        {{ civstat.json_int(image, 'age_years') }} as age_years,
        {{ civstat.json_text(image, 'nationality') }} as nationality,
        ({{ civstat.json_text(image, 'national_id') }} is not null) as has_national_id,
        {{ civstat.json_text(image, 'marital_status') }} as marital_status,
        coalesce({{ civstat.json_int(image, 'plurality') }}, 1) as plurality,
        -- parents
        {{ civstat.json_int(image, 'father_age') }} as father_age,
        {{ civstat.json_int(image, 'mother_age') }} as mother_age,
        {{ civstat.json_text(image, 'father_nationality') }} as father_nationality,
        {{ civstat.json_text(image, 'mother_nationality') }} as mother_nationality,
        {{ civstat.json_text(image, 'declarant_relation') }} as declarant_relation,
        -- notes
        {{ civstat.json_array_length(image, 'marginal_notes') }} as marginal_note_count,
        -- timestamps
        {{ civstat.json_timestamp(image, 'created_at') }} as created_at,
        {{ civstat.json_timestamp(image, 'updated_at') }} as updated_at
{%- endmacro %}
