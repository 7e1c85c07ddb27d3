"""Idempotent POSTs: (token, Idempotency-Key) -> the first response, stored with the effect.

The key row is inserted first, in the same transaction as the effect. A concurrent duplicate
blocks on its primary key until the first commits (PostgreSQL) or waits for the write lock
(SQLite), then finds the stored response and replays it; nothing is created twice. The same
key with a different request is refused (422).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from registry_api.core.errors import ApiError
from registry_api.models import IdempotencyKey


class KeyRace(Exception):
    """Another transaction holds the same key; retry to read its stored response."""


@dataclass
class StoredResponse:
    status_code: int
    body: Any


def fingerprint(method: str, path: str, payload: str) -> str:
    return hashlib.sha256(f"{method} {path}\n{payload}".encode()).hexdigest()


def claim(session: Session, token_id: int, key: str, fp: str) -> StoredResponse | None:
    """The stored response for a replay, or None after claiming the key for this request."""
    existing = session.get(IdempotencyKey, (token_id, key))
    if existing is not None:
        if existing.fingerprint != fp:
            raise ApiError.one(422, "idempotency_key_reused", "header", "idempotency-key")
        if existing.status_code == 0:
            raise ApiError.one(409, "idempotency_in_progress", "header", "idempotency-key")
        return StoredResponse(existing.status_code, json.loads(existing.response_body or "null"))
    try:
        with session.begin_nested():
            session.add(IdempotencyKey(token_id=token_id, idem_key=key, fingerprint=fp, status_code=0))
            session.flush()
    except IntegrityError as exc:
        raise KeyRace from exc
    return None


def store(session: Session, token_id: int, key: str, status_code: int, body: Any) -> None:
    row = session.get(IdempotencyKey, (token_id, key))
    assert row is not None
    row.status_code = status_code
    row.response_body = json.dumps(body, ensure_ascii=False)
