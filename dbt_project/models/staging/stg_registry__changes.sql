-- The change log, typed: one row per registry change. A view (no copy of the JSON); every
-- incremental model downstream filters it on feed_position.
with

source as (
    select * from {{ source('registry', 'changes') }}
),

renamed as (
    select
        -- ids
        cast(change_id as bigint) as change_id,
        cast(txid as bigint) as txid,
        {{ civstat.feed_position('txid', 'change_id') }} as feed_position,
        cast(entity_type as text) as entity_type,
        cast(entity_id as bigint) as entity_id,
        cast(act_id as bigint) as act_id,
        cast(office_code as text) as office_code,

        -- the change
        cast(change_kind as text) as change_kind,
        cast(version as integer) as version,
        {{ civstat.as_json('after_image') }} as after_image,
        cast(actor as text) as actor,
        cast(legal_basis as text) as legal_basis,

        -- timestamps (naive UTC)
        {{ civstat.utc_timestamp('changed_at') }} as changed_at,
        cast({{ civstat.utc_timestamp('changed_at') }} as date) as changed_date,
        {{ civstat.utc_timestamp('landed_at') }} as landed_at,
        cast(landing_run_id as text) as landing_run_id,
        cast(landing_seq as bigint) as landing_seq
    from source
)

select * from renamed
