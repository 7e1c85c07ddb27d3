"""Bulk history written straight into the registry keeps the API's invariants (both back ends)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text

from registry_api import models
from registry_api.core.db import Registry
from registry_api.services import tracking
from simulator.bulk import load_history
from simulator.calibration import offices
from simulator.store import RegistryNotEmpty
from tests.conftest import fresh_registry_url
from tests.simulator.helpers import counter_mismatches, invalid_acts, replay_mismatches

END = dt.date(2026, 6, 30)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def loaded(request: pytest.FixtureRequest, _templates: dict[str, str], tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[Registry, dict[str, Any]]]:
    urls = fresh_registry_url(request.param, _templates, Path(tmp_path_factory.mktemp("bulk")))
    url = next(urls)
    summary = load_history(url, years=2, scale=0.002, seed=7, end_date=END, progress=False)
    reg = Registry(url)
    yield reg, summary
    reg.dispose()
    urls.close()


def test_every_entity_replays_from_its_change_rows(loaded: tuple[Registry, dict[str, Any]]) -> None:
    reg, summary = loaded
    assert summary["acts"] > 1000 and summary["changes"] > summary["acts"]
    assert replay_mismatches(reg) == []


def test_change_ids_follow_simulated_time(loaded: tuple[Registry, dict[str, Any]]) -> None:
    reg, _ = loaded
    with reg.session(write=False) as s:
        stamps = s.scalars(select(models.Change.changed_at).order_by(models.Change.change_id)).all()
        actors = set(s.scalars(select(models.Change.actor).distinct()))
        txids = set(s.scalars(select(models.Change.txid).distinct()))
    assert all(a <= b for a, b in zip(stamps, stamps[1:], strict=False))
    assert stamps[-1] < dt.datetime(2026, 7, 1, tzinfo=dt.UTC) and stamps[0].date() >= END.replace(year=2024)
    assert actors == {"simulator#0"}
    assert len(txids) == 1  # one load, one transaction on PostgreSQL (0 on SQLite)


def test_the_registry_says_it_holds_simulated_activity_at_the_scale(loaded: tuple[Registry, dict[str, Any]]) -> None:
    reg, _ = loaded
    with reg.session(write=False) as s:
        settings = dict(s.execute(select(models.RegistrySetting.setting, models.RegistrySetting.value)).all())
    assert settings == {models.SYNTHETIC_SCALE: "0.002"}


def test_acts_pass_the_api_validation(loaded: tuple[Registry, dict[str, Any]]) -> None:
    reg, _ = loaded
    assert invalid_acts(reg) == []


def test_act_numbers_are_gapless_and_counters_continue_them(loaded: tuple[Registry, dict[str, Any]]) -> None:
    reg, _ = loaded
    assert counter_mismatches(reg) == []


def test_late_registrations_carry_a_judgment(loaded: tuple[Registry, dict[str, Any]]) -> None:
    reg, _ = loaded
    with reg.session(write=False) as s:
        rows = s.execute(select(models.Act.registration_basis, func.count()).group_by(models.Act.registration_basis)).all()
        judged = s.scalars(select(models.Act).where(models.Act.registration_basis == "declaratory_judgment")).all()
    counts = dict(rows)
    assert counts["declaration"] > 20 * counts["declaratory_judgment"] > 0
    for act in judged:
        assert act.court_name.startswith("Tribunal de première instance de ")
        assert act.event_date <= act.judgment_date <= act.registration_date


def test_no_electronic_record_before_the_office_went_live(loaded: tuple[Registry, dict[str, Any]]) -> None:
    reg, _ = loaded
    with reg.session(write=False) as s:
        early = s.execute(text(
            "select count(*) from acts a join offices o on o.office_code = a.office_code where a.event_date < o.live_since")).scalar()
        early_decl = s.execute(text(
            "select count(*) from declarations d join offices o on o.office_code = d.office_code "
            "where substr(cast(d.submitted_at as text), 1, 10) < cast(o.live_since as text)")).scalar()
    assert early == 0 and early_decl == 0


def test_declarations_have_valid_unique_tracking_numbers_and_a_backlog(loaded: tuple[Registry, dict[str, Any]]) -> None:
    reg, _ = loaded
    with reg.session(write=False) as s:
        decls = s.scalars(select(models.Declaration)).all()
    numbers = [d.tracking_number for d in decls]
    assert len(set(numbers)) == len(numbers) and all(tracking.is_valid(n) for n in numbers)
    statuses = {d.status for d in decls}
    assert {"registered", "rejected", "expired"} <= statuses
    assert statuses & {"submitted", "under_review"}, "the office backlog at the end of the history is empty"
    assert {d.channel for d in decls} == {"portal", "institution"}
    for d in decls:
        if d.status == "registered":
            assert d.act_id and d.decided_at and d.decided_at >= d.submitted_at
        if d.status in ("submitted", "under_review"):
            assert d.deadline_date >= END - dt.timedelta(days=31)


def test_notifications_reach_the_birth_office_and_notes_land_on_birth_acts(loaded: tuple[Registry, dict[str, Any]]) -> None:
    reg, _ = loaded
    with reg.session(write=False) as s:
        notes = s.scalars(select(models.Notification)).all()
        marginal = s.scalars(select(models.MarginalNote)).all()
        acts = {a.act_id: a for a in s.scalars(select(models.Act).where(models.Act.version > 1))}
    assert {n.event_type for n in notes} >= {"marriage", "divorce", "death"}
    for n in notes:
        assert n.received_at is None or n.received_at > n.created_at
        assert n.applied_at is None or n.applied_at > n.received_at
        assert (n.status == "applied") == (n.applied_at is not None)
    assert {m.note_kind for m in marginal} >= {"death", "rectification"}
    for m in marginal:
        if m.note_kind in ("death", "marriage", "divorce"):  # noted in the margin of the birth act
            assert acts[m.act_id].act_type == "birth"


def test_names_and_identity_numbers_look_moroccan(loaded: tuple[Registry, dict[str, Any]]) -> None:
    reg, _ = loaded
    with reg.session(write=False) as s:
        acts = s.scalars(select(models.Act)).all()
    arabic = re.compile(r"^[\u0600-\u06FF ]+$")
    assert all(arabic.match(a.given_name_ar) and arabic.match(a.family_name_ar) for a in acts)
    assert all(re.match(r"^[A-Za-z' -]+$", a.given_name_lat) for a in acts)
    ids = [a.national_id for a in acts if a.national_id]
    assert ids and all(re.match(r"^[A-Z]{1,2}[0-9]{5,6}$", i) for i in ids) and len(set(ids)) == len(ids)
    assert any(a.given_name_tfng for a in acts) and all(
        re.match(r"^[\u2D30-\u2D7F -]+$", a.given_name_tfng) for a in acts if a.given_name_tfng)


def test_loading_into_a_registry_with_data_is_refused(loaded: tuple[Registry, dict[str, Any]]) -> None:
    reg, _ = loaded
    with pytest.raises(RegistryNotEmpty):
        load_history(reg.url, years=1, scale=0.001, seed=1, end_date=END, progress=False)
    with reg.session(write=False) as s:
        assert s.scalar(select(func.count()).select_from(models.Act)) == loaded[1]["acts"]


def test_offices_match_the_registry_geography(loaded: tuple[Registry, dict[str, Any]]) -> None:
    reg, _ = loaded
    with reg.session(write=False) as s:
        live = dict(s.execute(select(models.Office.office_code, models.Office.live_since)).all())
    offs = offices()
    assert len(live) == len(offs)
    assert all(live[c] == dt.date(1970, 1, 1) + dt.timedelta(days=int(d)) for c, d in zip(offs.code, offs.live_since, strict=True))


def test_corrections_by_judgment_and_by_decision_are_told_apart(loaded: tuple[Registry, dict[str, Any]]) -> None:
    """The warehouse classifies a legal basis mentioning a court (jugement, tribunal, TPI, ...)
    as a court judgment: administrative decisions must not mention one."""
    reg, _ = loaded
    with reg.session(write=False) as s:
        bases = s.scalars(select(models.Change.legal_basis).where(models.Change.change_kind == "correct")).all()
    court = re.compile(r"jugement|judgment|tribunal|court|tpi", re.IGNORECASE)
    judged = [b for b in bases if b.startswith("Jugement TPI ")]
    decided = [b for b in bases if b.startswith("Décision du procureur du Roi")]
    assert judged and decided and len(judged) + len(decided) == len(bases)
    assert not any(court.search(b) for b in decided)
