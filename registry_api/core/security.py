"""Bearer tokens (stored as SHA-256 hashes) and the role/scope rules.

Roles: ``officer`` reads and writes its own office; ``supervisor`` reads its own province;
``analyst`` reads everything without direct identifiers; ``sector`` sees only the curated
datasets granted to its sector; ``admin`` does everything. ``portal`` is the citizen portal's
server credential: it may only file preliminary declarations and look up their status (so
even citizens' calls reach the API authenticated, through the portal).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy.orm import Session

from registry_api.models import ApiToken

ROLES = ("officer", "supervisor", "analyst", "sector", "admin", "portal")
TOKEN_PREFIX = "cst_"
# Fields that identify a person directly: hidden from analysts (and never logged).
DIRECT_IDENTIFIERS = frozenset({
    "given_name_ar", "given_name_lat", "given_name_tfng", "family_name_ar", "family_name_lat",
    "family_name_tfng", "national_id", "father_name_ar", "father_name_lat", "mother_name_ar",
    "mother_name_lat", "declarant_name", "declarant_phone", "declarant_email", "note_text",
})


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    token_id: int
    role: str
    office_code: str | None = None
    province_code: str | None = None
    sector_code: str | None = None

    @property
    def actor(self) -> str:
        """How the change log names the writer: a token id and role, never a person's name."""
        return f"{self.role}#{self.token_id}"

    @property
    def sees_identifiers(self) -> bool:
        return self.role in ("officer", "supervisor", "admin")

    def can_read_office(self, office_code: str | None) -> bool:
        if self.role in ("admin", "analyst"):
            return True
        if self.role == "officer":
            return office_code == self.office_code
        if self.role == "supervisor":
            return office_code is not None and office_province(office_code) == self.province_code
        return False

    def can_write_office(self, office_code: str | None) -> bool:
        return self.role == "admin" or (self.role == "officer" and office_code == self.office_code)

    def office_filter(self) -> tuple[str, str] | None:
        """The (column, value) a listing must be restricted to, or None for everything."""
        if self.role == "officer":
            return ("office_code", self.office_code or "")
        if self.role == "supervisor":
            return ("province_code", self.province_code or "")
        return None


@lru_cache
def _office_provinces() -> dict[str, str | None]:
    from registry_api.services.geography import geography

    return {o["office_code"]: o["province_code"] for o in geography()["offices"]}


def office_province(office_code: str) -> str | None:
    return _office_provinces().get(office_code)


def create_token(
    session: Session,
    role: str,
    *,
    office_code: str | None = None,
    province_code: str | None = None,
    sector_code: str | None = None,
    label: str | None = None,
) -> tuple[str, ApiToken]:
    """Mint a token; only its hash is stored. Returns (the token, its row)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role == "officer" and not office_code:
        raise ValueError("an officer token needs --office")
    if role == "supervisor" and not province_code:
        raise ValueError("a supervisor token needs --province")
    if role == "sector" and not sector_code:
        raise ValueError("a sector token needs --sector")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        token_hash=hash_token(token), role=role, office_code=office_code if role == "officer" else None,
        province_code=province_code if role == "supervisor" else None,
        sector_code=sector_code if role == "sector" else None, label=label,
    )
    session.add(row)
    session.flush()
    return token, row


def principal_for(session: Session, token: str) -> Principal | None:
    row = session.query(ApiToken).filter_by(token_hash=hash_token(token)).one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    return Principal(row.token_id, row.role, row.office_code, row.province_code, row.sector_code)
