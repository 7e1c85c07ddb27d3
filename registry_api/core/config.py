"""One settings object for the whole platform, read from ``CIVSTAT_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CIVSTAT_", extra="ignore")

    DATA_DIR: Path = Path("data")
    # SQLAlchemy URL of the registry; default: a SQLite file under DATA_DIR (WAL mode).
    REGISTRY_URL: str | None = None
    # DuckDB file path or a PostgreSQL URL.
    WAREHOUSE: str | None = None
    # Largest batch accepted by POST /acts/batch.
    MAX_BATCH: int = 50_000
    # Page size cap for list endpoints and the change feed.
    MAX_PAGE: int = 10_000
    # Secret keys for per-sector pseudonyms, "sector=key,sector=key" (never in the repo).
    PSEUDONYM_KEYS: str = ""

    @property
    def registry_url(self) -> str:
        if self.REGISTRY_URL:
            return self.REGISTRY_URL
        return f"sqlite:///{(self.DATA_DIR / 'registry.sqlite').resolve()}"

    @property
    def warehouse(self) -> str:
        if self.WAREHOUSE:
            return self.WAREHOUSE
        return str((self.DATA_DIR / "warehouse.duckdb").resolve())

    @property
    def documents_dir(self) -> Path:
        return self.DATA_DIR / "documents"


@lru_cache
def get_settings() -> Settings:
    return Settings()
