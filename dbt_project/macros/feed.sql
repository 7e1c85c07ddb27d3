{#-
    Incremental bookkeeping on the landing cursor (docs/dbt.md, "Incremental strategy").

    The registry serves its change feed in (txid, change_id) order and never serves a row behind
    the cursor (docs/change_feed.md), so that pair orders every landed change: a change landed
    later always has a greater pair. change_id alone does not (PostgreSQL sequences are not
    commit order) and neither does wall-clock time. `feed_position` encodes the pair as one
    sortable text value, zero-padded: '<txid:20>.<change_id:20>'.
-#}
{% macro feed_position(txid, change_id) -%}
    (lpad(cast({{ txid }} as text), 20, '0') || '.' || lpad(cast({{ change_id }} as text), 20, '0'))
{%- endmacro %}

{#- The newest feed position already reflected in the model being built ('' when empty). -#}
{% macro watermark(relation=none) -%}
    (select coalesce(max(feed_position), '') from {{ relation if relation is not none else this }})
{%- endmacro %}


{#-
    Predicate on `stg_registry__changes` rows: landed after the model's watermark.

    Same rows as `feed_position > watermark()`, but cheap on a long change log: the watermark
    is read when the model runs and turned into the `landing_seq` of the change it names (a
    primary-key lookup on `change_id`); `landing_seq > <literal>` is pushed down to the scan of
    `raw.registry_changes`, which is appended in landing order, so DuckDB skips every row group
    before it (zone maps); PostgreSQL compares one integer column instead of building a text
    value per row. Without it every micro-batch computes `feed_position` for the whole log. Landing order is
    feed order (docs/landing.md), so both predicates select the same rows; the feed_position
    one is kept as the definition. At parse time (no database) only that one is emitted.
-#}
{% macro landed_after_watermark() -%}
    {%- set seq = none -%}
    {%- set wm = '' -%}
    {%- if execute -%}
        {%- set wm = run_query('select coalesce(max(feed_position), \'\') from ' ~ this).columns[0].values()[0] -%}
        {%- if wm -%}
            {%- set found = run_query('select landing_seq from ' ~ source('registry', 'changes')
                ~ ' where change_id = ' ~ (wm.split('.')[1] | int)).columns[0].values() -%}
            {%- if found | length == 1 -%}{%- set seq = found[0] -%}{%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {%- if seq is not none -%}
    (landing_seq > {{ seq }} and feed_position > '{{ wm }}')
    {%- else -%}
    feed_position > {{ civstat.watermark() }}
    {%- endif -%}
{%- endmacro %}


{#-
    The latest after-image of every entity of one type, plus per-entity facts from the whole
    change history: the newest feed position, the last change time and, for each kind in
    `first_at_kinds`, the time of the first change of that kind (`first_<kind>_at`).
    In an incremental build only entities touched by changes newer than the model's watermark
    are returned (with their full history, so a late change with a lower version cannot win).
    One pass: window functions over the entity's changes, no self-join.
    Columns: entity_id, after_image, version, feed_position, last_changed_at, first_*_at.
-#}
{% macro latest_after_images(changes_relation, entity_type, first_at_kinds=[]) -%}
    select
        entity_id,
        after_image,
        version,
        entity_feed_position as feed_position,
        last_changed_at
        {%- for kind in first_at_kinds %},
        first_{{ kind }}_at
        {%- endfor %}
    from (
        select
            entity_id,
            after_image,
            version,
            row_number() over (
                partition by entity_id
                order by version desc, feed_position desc
            ) as version_rank,
            max(feed_position) over (partition by entity_id) as entity_feed_position,
            max(changed_at) over (partition by entity_id) as last_changed_at
            {%- for kind in first_at_kinds %},
            min(case when change_kind = '{{ kind }}' then changed_at end) over (partition by entity_id)
                as first_{{ kind }}_at
            {%- endfor %}
        from {{ changes_relation }}
        where entity_type = '{{ entity_type }}'
        {%- if is_incremental() %}
            and entity_id in (
                select entity_id
                from {{ changes_relation }}
                where entity_type = '{{ entity_type }}'
                    and {{ civstat.landed_after_watermark() }}
            )
        {%- endif %}
    ) as ranked
    where version_rank = 1
{%- endmacro %}
