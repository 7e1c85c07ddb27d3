"""k-anonymity on the quasi-identifiers two pseudonymized extracts share, so they cannot be linked.

Different keyed pseudonyms give two sectors nothing to join on, but both person-level births
extracts describe the same children: if the health file's (birth month, commune, mother's age,
plurality, ...) and the social-protection file's attributes pick out one child in each, the
files link without any key. So the social-protection extract gets only what its purpose needs,
coarser than the health extract (quarter, province, mother's age group, single/multiple birth;
no sex, no commune, no place of delivery), and every combination of those quasi-identifiers is
shared by at least ``k`` children: a health record is compatible with ≥ k social-protection
records and conversely.

Generalisation is *local and hierarchical*: a chain of levels, each withholding one more
attribute (or coarsening the quarter to the year), whose groups nest:

    level 0  year, quarter, region, province, mother_age_group, multiple_birth
    level 1  year, quarter, region, province, mother_age_group
    level 2  year, quarter, region, province
    level 3  year, region, province            (the quarter becomes the year)
    level 4  year, region
    level 5  year
    level 6  nothing (every quasi-identifier withheld)

Top-down from level 6, a group is split into its children at the next finer level when each
child kept apart has ≥ k rows; the children under k stay together at the parent's level, and
if those leftovers are fewer than k, the smallest kept-apart children join them until they
reach k (or the whole group stays at the parent's level). So every published combination
(the tuple of values actually written, withheld ones empty) has ≥ k rows, and every row's
published values are a generalisation of its true values.

Why that is enough even against an attacker who knows this algorithm: a social-protection row
published at group G is compatible only with the children of G that were not split off — the
rows published with G's exact values, ≥ k of them; a health row, mapped to the social columns,
falls into exactly one published group, ≥ k social rows. Nulls of the source (a consular birth
has no region) are values like any other (coded ``~`` in the key); ``generalisation_level``
says which attributes a row had withheld (constant within a group, so it tells nothing more).

Deterministic: the result depends only on the level-0 counts (ties broken by the key), so the
same births give the same file (the release checksums rely on it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import duckdb
import pyarrow as pa

K = 5  # as the aggregates: a group of 1-4 is what small-cell suppression withholds

MOTHER_AGE_GROUPS = ("under_20", "20_24", "25_29", "30_34", "35_39", "40_plus", "unknown")
NULL = "~"  # a source null inside the key (distinct from every real value)

# the finest quasi-identifiers, as SQL over fct_birth; order = the key's order
QI_COLUMNS: tuple[tuple[str, str], ...] = (
    ("year", "cast(year({t}event_month) as varchar)"),
    ("quarter", "cast(quarter({t}event_month) as varchar)"),
    ("region_code", "{t}region_code"),
    ("province_code", "{t}province_code"),
    ("mother_age_group", """case
        when {t}mother_age is null then 'unknown'
        when {t}mother_age < 20 then 'under_20'
        when {t}mother_age < 25 then '20_24'
        when {t}mother_age < 30 then '25_29'
        when {t}mother_age < 35 then '30_34'
        when {t}mother_age < 40 then '35_39'
        else '40_plus' end"""),
    ("multiple_birth", "case when {t}plurality is null then null when {t}plurality > 1 then 'true' else 'false' end"),
)
# the chain of levels: the quasi-identifiers kept at each level (each a subset of the previous)
LEVELS: tuple[tuple[str, ...], ...] = (
    ("year", "quarter", "region_code", "province_code", "mother_age_group", "multiple_birth"),
    ("year", "quarter", "region_code", "province_code", "mother_age_group"),
    ("year", "quarter", "region_code", "province_code"),
    ("year", "region_code", "province_code"),
    ("year", "region_code"),
    ("year",),
    (),
)


def key_sql(alias: str = "") -> str:
    """SQL for the level-0 key of a ``fct_birth`` row (``~`` for a source null); ``alias``
    qualifies the columns (``key_sql("b")`` → ``b.region_code``...)."""
    t = f"{alias}." if alias else ""
    parts = [f"coalesce({expr.format(t=t)}, '{NULL}')" for _, expr in QI_COLUMNS]
    return "concat_ws('|', " + ", ".join(parts) + ")"


def scheme_description() -> dict[str, object]:
    """What the definition hash and the descriptor record about the generalisation."""
    return {"k": K, "levels": [list(level) for level in LEVELS], "mother_age_groups": list(MOTHER_AGE_GROUPS)}


@dataclass(frozen=True)
class Assignment:
    """The level each level-0 combination is published at (None: withheld entirely)."""

    levels: dict[str, int | None]
    counts: dict[str, int]

    def rows_per_level(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for key, level in self.levels.items():
            out["withheld" if level is None else str(level)] += self.counts[key]
        return dict(sorted(out.items()))


def assign(counts: dict[str, int], k: int = K, levels: Sequence[Sequence[str]] = LEVELS,
           columns: Sequence[str] = tuple(c for c, _ in QI_COLUMNS)) -> Assignment:
    """Top-down hierarchical grouping of the level-0 combinations (``counts``: key → rows)."""
    index = [[columns.index(c) for c in level] for level in levels]
    parts = {key: key.split("|") for key in counts}
    out: dict[str, int | None] = {}
    top = len(levels) - 1

    def project(key: str, level: int) -> tuple[str, ...]:
        p = parts[key]
        return tuple(p[i] for i in index[level])

    def visit(keys: list[str], level: int) -> None:
        if level == 0:
            for key in keys:
                out[key] = 0
            return
        children: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for key in keys:
            children[project(key, level - 1)].append(key)
        sizes = {child: sum(counts[x] for x in members) for child, members in children.items()}
        apart = sorted((c for c in children if sizes[c] >= k), key=lambda c: (sizes[c], c))
        left = sum(sizes[c] for c in children if sizes[c] < k)
        while 0 < left < k and apart:
            left += sizes[apart.pop(0)]  # the smallest kept-apart child joins the leftovers
        kept = set(apart)
        for child, members in children.items():
            if child not in kept:
                for key in members:
                    out[key] = level
        for child in sorted(kept):
            visit(children[child], level - 1)

    everything = sorted(counts)
    if sum(counts.values()) < k:
        for key in everything:
            out[key] = None
    else:
        visit(everything, top)
    return Assignment(out, dict(counts))


def published_values(key: str, level: int | None, levels: Sequence[Sequence[str]] = LEVELS,
                     columns: Sequence[str] = tuple(c for c, _ in QI_COLUMNS)) -> dict[str, str | None]:
    """The values written for a level-0 combination published at ``level`` (withheld → None)."""
    values = dict(zip(columns, key.split("|"), strict=True))
    kept = set() if level is None else set(levels[level])
    return {c: (v if c in kept and v != NULL else None) for c, v in values.items()}


def mapping_table(con: duckdb.DuckDBPyConnection, births_sql: str = "select * from fct_birth where not is_cancelled",
                  k: int = K) -> tuple[pa.Table, Assignment]:
    """Count the level-0 combinations of ``births_sql`` and return (key → published values, the
    assignment). The release joins the extract to this table on the key."""
    rows = con.execute(f"select {key_sql()} as qi_key, count(*) from ({births_sql}) group by all").fetchall()
    counts = {key: int(n) for key, n in rows}
    result = assign(counts, k)
    keys = sorted(counts)
    cols: dict[str, list[object]] = {"qi_key": list(keys), "generalisation_level": [], "birth_period": []}
    for name in ("region_code", "province_code", "mother_age_group", "multiple_birth"):
        cols[name] = []
    for key in keys:
        level = result.levels[key]
        v = published_values(key, level)
        cols["generalisation_level"].append(level)
        cols["birth_period"].append(
            None if v["year"] is None else (f"{v['year']}-Q{v['quarter']}" if v["quarter"] is not None else v["year"])
        )
        cols["region_code"].append(v["region_code"])
        cols["province_code"].append(v["province_code"])
        cols["mother_age_group"].append(v["mother_age_group"])
        cols["multiple_birth"].append(None if v["multiple_birth"] is None else v["multiple_birth"] == "true")
    table = pa.table({
        "qi_key": pa.array(cols["qi_key"], pa.string()),
        "generalisation_level": pa.array(cols["generalisation_level"], pa.int64()),
        "birth_period": pa.array(cols["birth_period"], pa.string()),
        "region_code": pa.array(cols["region_code"], pa.string()),
        "province_code": pa.array(cols["province_code"], pa.string()),
        "mother_age_group": pa.array(cols["mother_age_group"], pa.string()),
        "multiple_birth": pa.array(cols["multiple_birth"], pa.bool_()),
    })
    return table, result


def smallest_group(rows: Iterable[tuple[object, ...]]) -> int:
    """Size of the smallest group of identical tuples (0 for no rows)."""
    sizes: dict[tuple[object, ...], int] = defaultdict(int)
    for r in rows:
        sizes[r] += 1
    return min(sizes.values(), default=0)
