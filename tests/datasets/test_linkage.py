"""The two sectors' person-level births extracts cannot be linked through the attributes they
share: the attacker holds both files, derives from the (more detailed) health file every
attribute the social-protection file has, joins them, and never pins a record down to fewer
than k candidates, in either direction. The same attacker against the extracts as they were
before (same attributes in both files) links records uniquely: the attack is a real one."""

from __future__ import annotations

import random
from collections import Counter

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datasets import anonymity
from datasets.anonymity import LEVELS, K, assign, published_values
from datasets.pseudonyms import pseudonym, sector_key
from tests.datasets.conftest import Released

HEALTH, SOCIAL = "births_pseudonymized_health", "births_pseudonymized_social_protection"
QI = ("birth_period", "region_code", "province_code", "mother_age_group", "multiple_birth")

# the attacker's view of a health row in the social file's terms (written here, not imported)
HEALTH_DERIVED = """
    select
        person_pseudonym as hp,
        substr(birth_month, 1, 4) as year,
        substr(birth_month, 1, 4) || '-Q' || cast((cast(substr(birth_month, 6, 2) as integer) + 2) // 3 as varchar) as quarter,
        region_code, province_code,
        case when mother_age is null then 'unknown' when mother_age < 20 then 'under_20' when mother_age >= 40 then '40_plus'
             else cast(mother_age // 5 * 5 as varchar) || '_' || cast(mother_age // 5 * 5 + 4 as varchar) end as mother_age_group,
        plurality > 1 as multiple_birth,
    from health
"""
# a withheld (empty) social value matches anything; a present one must equal the health value
COMPATIBLE = """
    (s.birth_period is null or s.birth_period = h.quarter or s.birth_period = h.year)
    and (s.region_code is null or s.region_code = h.region_code)
    and (s.province_code is null or s.province_code = h.province_code)
    and (s.mother_age_group is null or s.mother_age_group = h.mother_age_group)
    and (s.multiple_birth is null or s.multiple_birth = h.multiple_birth)
"""


def _files(released: Released) -> tuple[pa.Table, pa.Table]:
    return tuple(pq.read_table(released.results[n].path / f"{n}.parquet") for n in (HEALTH, SOCIAL))  # type: ignore[return-value]


def _attacker(released: Released) -> duckdb.DuckDBPyConnection:
    health, social = _files(released)
    con = duckdb.connect()
    con.register("health", health)
    con.register("social", social)
    con.execute(f"create table h as {HEALTH_DERIVED}")
    con.execute("create table s as select person_pseudonym as sp, * from social")
    return con


def test_joining_on_the_shared_columns_links_no_record_uniquely(released: Released) -> None:
    health, social = _files(released)
    shared = sorted(set(health.column_names) & set(social.column_names) - {"person_pseudonym"})
    assert shared == ["province_code", "region_code"]  # what the two sectors' files have in common by name
    assert not set(health.column("person_pseudonym").to_pylist()) & set(social.column("person_pseudonym").to_pylist())
    con = duckdb.connect()
    con.register("health", health)
    con.register("social", social)
    on = " and ".join(f"h.{c} is not distinct from s.{c}" for c in shared)
    smallest = con.execute(f"""
        select min(n) from (
            select count(*) as n from health as h join social as s on {on} group by h.person_pseudonym
            union all
            select count(*) from social as s join health as h on {on} group by s.person_pseudonym
        )""").fetchone()[0]
    assert smallest >= K


def test_the_attacker_with_every_derivable_attribute_gets_at_least_k_candidates(released: Released) -> None:
    con = _attacker(released)
    counts = con.execute(f"""
        with pairs as (select h.hp, s.sp from h join s on {COMPATIBLE})
        select
            (select count(*) from h), (select count(*) from s),
            (select min(n) from (select count(*) as n from pairs group by hp)),
            (select count(distinct hp) from pairs),
            (select min(n) from (select count(*) as n from pairs group by sp)),
            (select count(distinct sp) from pairs)
    """).fetchone()
    n_h, n_s, min_per_health, matched_h, min_per_social, matched_s = counts
    assert n_h == n_s > 1000
    assert matched_h == n_h and matched_s == n_s  # everyone has candidates (among them the true record)...
    assert min_per_health >= K and min_per_social >= K  # ...never fewer than k


def test_the_true_record_is_among_the_candidates(released: Released) -> None:
    """The attacker's derivation is right (so the test above measures the real ambiguity): the
    social record of the same child is always compatible with its health record."""
    con = _attacker(released)
    warehouse = next((released.data_dir / "published").glob("warehouse-*.duckdb"))
    ids = [r[0] for r in duckdb.connect(str(warehouse), read_only=True).execute(
        "select act_id from fct_birth where not is_cancelled").fetchall()]
    kh, ks = sector_key(released.settings, "health"), sector_key(released.settings, "social_protection")
    con.register("twins", pa.table({"hp": [pseudonym(kh, "birth_act", i) for i in ids],
                                    "sp": [pseudonym(ks, "birth_act", i) for i in ids]}))
    total, compatible = con.execute(f"""
        select count(*), count(*) filter (where {COMPATIBLE})
        from twins as t join h on h.hp = t.hp join s on s.sp = t.sp
    """).fetchone()
    assert total == len(ids) and compatible == total


def test_the_social_file_is_k_anonymous_and_keeps_most_detail(released: Released) -> None:
    _, social = _files(released)
    rows = social.select([*QI, "generalisation_level"]).to_pylist()
    assert anonymity.smallest_group(tuple(r.values()) for r in rows) >= K
    levels = Counter(r["generalisation_level"] for r in rows)
    assert levels[0] > 0.3 * len(rows)  # full detail for many: generalisation is local, not global
    assert sum(v for lvl, v in levels.items() if lvl > 0) > 0  # the test data needs it somewhere
    for r in rows:  # the level says exactly what is withheld
        kept = set(LEVELS[r["generalisation_level"]])
        assert (r["multiple_birth"] is not None) == ("multiple_birth" in kept)
        assert (r["mother_age_group"] is not None) == ("mother_age_group" in kept)
        assert r["birth_period"] is not None and ("-Q" in r["birth_period"]) == ("quarter" in kept)
    r = released.results[SOCIAL]
    assert r.extra["k_anonymity"]["k"] == K
    assert sum(r.extra["k_anonymity"]["rows_per_generalisation_level"].values()) == social.num_rows


def test_without_generalisation_the_same_attack_links_records(released: Released) -> None:
    """Control: had the social file carried its attributes at full detail (level 0 for all),
    the same join would single out children: the protection above is what prevents it."""
    con = _attacker(released)
    singled_out = con.execute("""
        select count(*) from (
            select count(*) as n from h group by quarter, region_code, province_code, mother_age_group, multiple_birth
        ) where n = 1
    """).fetchone()[0]
    assert singled_out > 0


# ---- the algorithm on its own ------------------------------------------------------------------

def _random_counts(rng: random.Random, cells: int, skew: float) -> dict[str, int]:
    out: dict[str, int] = {}
    for _ in range(cells):
        y, q = rng.choice(["2023", "2024"]), rng.choice("1234")
        r = rng.choice(["01", "02", "~"])
        p = "~" if r == "~" else f"{r}.{rng.randint(1, 4)}"
        key = "|".join([y, q, r, p, rng.choice(anonymity.MOTHER_AGE_GROUPS), rng.choice(["true", "false", "~"])])
        out[key] = out.get(key, 0) + max(1, int(rng.expovariate(skew)))
    return out


@pytest.mark.parametrize("seed", range(30))
def test_every_published_group_has_k_rows_and_generalises_its_rows(seed: int) -> None:
    rng = random.Random(seed)
    counts = _random_counts(rng, rng.choice([3, 20, 80, 400]), rng.choice([0.05, 0.3, 1.0]))
    result = assign(counts)
    groups: Counter[tuple[object, ...]] = Counter()
    for key, level in result.levels.items():
        if level is None:
            continue
        true = published_values(key, 0)
        shown = published_values(key, level)
        assert all(v is None or v == true[c] for c, v in shown.items())  # a generalisation, never a change
        groups[(level, *shown.values())] += counts[key]
    withheld = sum(counts[k] for k, lvl in result.levels.items() if lvl is None)
    if sum(counts.values()) >= K:
        assert withheld == 0 and min(groups.values()) >= K
    else:
        assert withheld == sum(counts.values())
    # deterministic whatever the input order
    shuffled = list(counts.items())
    rng.shuffle(shuffled)
    assert assign(dict(shuffled)).levels == result.levels


def test_nothing_is_generalised_when_every_combination_is_large_enough() -> None:
    counts = {f"2024|{q}|01|01.1|20_24|false": 5 + q for q in range(1, 5)}
    assert set(assign(counts).levels.values()) == {0}
    counts["2024|1|01|01.1|20_24|true"] = 1  # one pair of twins: their quarter-group loses the flag
    levels = assign(counts).levels
    assert levels["2024|1|01|01.1|20_24|true"] == levels["2024|1|01|01.1|20_24|false"] == 1
    assert levels["2024|2|01|01.1|20_24|false"] == 0
