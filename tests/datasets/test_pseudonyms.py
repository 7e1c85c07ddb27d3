"""Pseudonyms: the SQL HMAC is the RFC 2104 HMAC, stable per sector, unlinkable across sectors;
the person-level extract carries no name, no exact date, no act number."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq
import pytest

from datasets import pseudonyms
from datasets.pseudonyms import SectorKey, parse_keys, pseudonym, sector_key
from registry_api.core.config import Settings
from tests.datasets.conftest import Released


@pytest.mark.parametrize("key", [b"k" * 16, b"a-longer-key-" * 10, "مفتاح-سري-للصحة-2026".encode()])
def test_sql_hmac_equals_python_hmac(key: bytes) -> None:
    k = SectorKey("health", key)
    ipad, opad = k.pads()
    con = duckdb.connect()
    got = con.execute(
        f"select act_id, {pseudonyms.sql_expression('birth_act', 'act_id')} from range(1, 2001) t(act_id) order by act_id",
        {"ipad": ipad, "opad": opad},
    ).fetchall()
    assert got == [(i, pseudonym(k, "birth_act", i)) for i in range(1, 2001)]
    assert len({p for _, p in got}) == 2000


def test_keys_never_show_in_reprs() -> None:
    k = SectorKey("health", b"super-secret-key-123")
    assert "super-secret" not in repr(k) and "super-secret" not in k.key_id


def test_key_spec_parsing() -> None:
    assert parse_keys(" health = abcdefghijklmnop , planning=qrstuvwxyz012345 ") == {
        "health": b"abcdefghijklmnop", "planning": b"qrstuvwxyz012345",
    }
    with pytest.raises(pseudonyms.PseudonymKeyError):
        parse_keys("health")
    with pytest.raises(pseudonyms.PseudonymKeyError, match="no pseudonym key"):
        sector_key(Settings(PSEUDONYM_KEYS=""), "health")


def _active_birth_ids(released: Released) -> list[int]:
    con = duckdb.connect(str(next((released.data_dir / "published").glob("warehouse-*.duckdb"))), read_only=True)
    try:
        return [r[0] for r in con.execute("select act_id from fct_birth where not is_cancelled").fetchall()]
    finally:
        con.close()


def test_released_pseudonyms_are_the_sector_hmac_of_each_act(released: Released) -> None:
    """Stable within a sector: the file holds exactly HMAC(sector key, act) for the active
    births, so the same child keeps its pseudonym in every release of that sector."""
    ids = _active_birth_ids(released)
    for sector in ("health", "social_protection"):
        r = released.results[f"births_pseudonymized_{sector}"]
        table = pq.read_table(r.path / f"{r.name}.parquet")
        got = set(table.column("person_pseudonym").to_pylist())
        key = sector_key(released.settings, sector)
        assert got == {pseudonym(key, "birth_act", i) for i in ids}
        assert r.extra["pseudonym_key_id"] == key.key_id


def test_sectors_cannot_link_their_extracts(released: Released) -> None:
    """The attacker holds both sectors' files: no pseudonym in common, and the same child has
    different pseudonyms. (Matching on the other columns: tests/datasets/test_linkage.py.)"""
    health = pq.read_table(released.results["births_pseudonymized_health"].path / "births_pseudonymized_health.parquet")
    social = pq.read_table(
        released.results["births_pseudonymized_social_protection"].path / "births_pseudonymized_social_protection.parquet"
    )
    h = set(health.column("person_pseudonym").to_pylist())
    s = set(social.column("person_pseudonym").to_pylist())
    assert len(h) == health.num_rows and len(s) == social.num_rows  # one pseudonym per child
    assert not h & s
    kh, ks = sector_key(released.settings, "health"), sector_key(released.settings, "social_protection")
    same_child = [(pseudonym(kh, "birth_act", i), pseudonym(ks, "birth_act", i)) for i in _active_birth_ids(released)[:500]]
    assert all(a != b for a, b in same_child)
    assert not {a for a, _ in same_child} & {b for _, b in same_child}


def test_the_extract_has_no_names_no_days_no_act_numbers(released: Released) -> None:
    r = released.results["births_pseudonymized_health"]
    table = pq.read_table(r.path / f"{r.name}.parquet")
    assert all(len(m) == 7 and m[4] == "-" for m in table.column("birth_month").to_pylist())
    text = (r.path / f"{r.name}.csv").read_text(encoding="utf-8")
    for forbidden in ("act_id", "act_number", "given_name", "family_name", "national_id", "event_date", "birth_date"):
        assert forbidden not in text


def test_row_order_follows_the_pseudonym_not_the_registration(released: Released) -> None:
    """Rows sorted by the sector's pseudonym: a keyed, per-sector order. Sorting by act or by
    month would line the two sectors' files up row by row, which would link them."""
    health = pq.read_table(released.results["births_pseudonymized_health"].path / "births_pseudonymized_health.parquet")
    social = pq.read_table(
        released.results["births_pseudonymized_social_protection"].path / "births_pseudonymized_social_protection.parquet"
    )
    ph = health.column("person_pseudonym").to_pylist()
    assert ph == sorted(ph)
    rest = ["province_code"]  # the only column the two files share, besides coarsened ones
    assert social.num_rows == health.num_rows
    same_position = sum(a == b for a, b in zip(health.select(rest).to_pylist(), social.select(rest).to_pylist(), strict=True))
    by_chance = sum(c * c for c in health.group_by(rest).aggregate([([], "count_all")])["count_all"].to_pylist()) / health.num_rows
    # row i of one file is not row i of the other: no more coincidences than two shuffles give
    assert same_position < 1.3 * by_chance + 50
