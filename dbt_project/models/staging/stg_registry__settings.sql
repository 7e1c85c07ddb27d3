-- The registry's settings (one row per setting). A table, like the other reference snapshots.
{{ config(materialized='table') }}

with

source as (
    select * from {{ source('registry', 'settings') }}
),

renamed as (
    select
        -- ids
        cast(setting as text) as setting,

        -- value
        cast(value as text) as setting_value
    from source
)

select * from renamed
