"""Where the warehouse is: a DuckDB file (embedded default) or a PostgreSQL database."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from registry_api.core.config import Settings, get_settings

# dbt writes its models here: DuckDB's default schema, a dedicated schema on PostgreSQL.
DUCKDB_SCHEMA = "main"
POSTGRES_SCHEMA = "analytics"
RAW_SCHEMA = "raw"


@dataclass(frozen=True)
class Warehouse:
    target: str  # a DuckDB file path or a postgresql:// URL
    data_dir: Path

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Warehouse:
        s = settings or get_settings()
        return cls(s.warehouse, Path(s.DATA_DIR).resolve())

    @property
    def is_postgres(self) -> bool:
        return self.target.startswith(("postgresql://", "postgresql+psycopg://", "postgres://"))

    @property
    def kind(self) -> str:
        return "postgres" if self.is_postgres else "duckdb"

    @property
    def models_schema(self) -> str:
        return POSTGRES_SCHEMA if self.is_postgres else DUCKDB_SCHEMA

    @property
    def pg_dsn(self) -> str:
        """libpq form of the URL (psycopg does not take SQLAlchemy's driver suffix)."""
        return self.target.replace("postgresql+psycopg://", "postgresql://", 1)

    @property
    def duckdb_path(self) -> Path:
        return Path(self.target).resolve()

    @property
    def published_dir(self) -> Path:
        return self.data_dir / "published"
