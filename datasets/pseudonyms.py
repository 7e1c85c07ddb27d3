"""Per-sector pseudonyms: HMAC-SHA256(sector key, domain-tagged id), hex-truncated.

Why keyed and per sector: a plain hash of an act id can be recomputed by anyone who knows the
id space (act ids are small integers), so it is no pseudonym; a keyed HMAC cannot be reversed
or recomputed without the key. One key per sector makes the same person carry different
pseudonyms in the health and the social-protection extracts, so the two sectors cannot join
their files, while each sector's pseudonyms stay stable across its releases (same key).

Keys come only from ``Settings.PSEUDONYM_KEYS`` (env ``CIVSTAT_PSEUDONYM_KEYS``,
``"health=<secret>,social_protection=<secret>"``); there is no default key anywhere in the repo.
They are never logged, never written to a release, and never put in SQL text (they travel as
query parameters); a release records only a key *id* (an HMAC of a fixed label) so a sector can
tell when its pseudonyms were re-keyed.

The HMAC runs inside DuckDB (``sha256`` over blobs, RFC 2104 by hand): millions of rows in
seconds, where a Python loop would take minutes. :func:`pseudonym` is the reference
implementation the tests compare it with.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from registry_api.core.config import Settings

PSEUDONYM_HEX = 20  # 80 bits: no collision in practice among tens of millions of people
MIN_KEY_CHARS = 16
_BLOCK = 64  # SHA-256 block size


class PseudonymKeyError(RuntimeError):
    """A sector's key is missing, too short, or shared with another sector."""


@dataclass(frozen=True)
class SectorKey:
    sector: str
    key: bytes

    def __repr__(self) -> str:  # never print the secret
        return f"SectorKey(sector={self.sector!r}, key=<{len(self.key)} bytes>)"

    @property
    def key_id(self) -> str:
        """Identifies the key without revealing it (an HMAC of a fixed label)."""
        return hmac.new(self.key, b"civstat/key-id", hashlib.sha256).hexdigest()[:12]

    def pads(self) -> tuple[bytes, bytes]:
        """(K xor ipad, K xor opad) for HMAC-SHA256 computed in SQL."""
        k = self.key if len(self.key) <= _BLOCK else hashlib.sha256(self.key).digest()
        k = k.ljust(_BLOCK, b"\0")
        return bytes(b ^ 0x36 for b in k), bytes(b ^ 0x5C for b in k)


def parse_keys(spec: str) -> dict[str, bytes]:
    """``"health=abc,social_protection=def"`` → {sector: key bytes}."""
    out: dict[str, bytes] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        sector, sep, key = part.partition("=")
        if not sep or not sector.strip() or not key.strip():
            raise PseudonymKeyError("CIVSTAT_PSEUDONYM_KEYS must look like 'sector=key,sector=key'")
        out[sector.strip()] = key.strip().encode()
    return out


def sector_key(settings: Settings, sector: str) -> SectorKey:
    """The sector's key from the settings, or a clear error (never a default)."""
    keys = parse_keys(settings.PSEUDONYM_KEYS)
    key = keys.get(sector)
    if key is None:
        raise PseudonymKeyError(
            f"no pseudonym key for sector {sector!r}: set CIVSTAT_PSEUDONYM_KEYS='{sector}=<secret>,...' "
            "(one secret per sector, at least 16 characters, kept out of the repository)"
        )
    if len(key) < MIN_KEY_CHARS:
        raise PseudonymKeyError(f"the pseudonym key for sector {sector!r} is shorter than {MIN_KEY_CHARS} characters")
    shared = sorted(s for s, k in keys.items() if s != sector and hmac.compare_digest(k, key))
    if shared:
        raise PseudonymKeyError(f"sectors {sector!r} and {shared[0]!r} share a pseudonym key: they could link their extracts")
    return SectorKey(sector, key)


def message(kind: str, ident: int | str) -> bytes:
    """Domain-separated input: the same number as a birth act and as something else never
    yields the same pseudonym."""
    return f"civstat/{kind}/{ident}".encode()


def pseudonym(key: SectorKey, kind: str, ident: int | str) -> str:
    """Reference implementation (Python's hmac)."""
    return hmac.new(key.key, message(kind, ident), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]


def sql_expression(kind: str, id_sql: str, ipad_param: str = "$ipad", opad_param: str = "$opad") -> str:
    """DuckDB expression computing :func:`pseudonym` over a column; the pads are parameters."""
    inner = f"unhex(sha256({ipad_param}::blob || encode('civstat/{kind}/' || cast({id_sql} as varchar))))"
    return f"substr(sha256({opad_param}::blob || {inner}), 1, {PSEUDONYM_HEX})"
