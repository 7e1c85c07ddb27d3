"""The append-only change log (transactional outbox) and the gap-free change feed.

``record_change`` is the only writer: every create/amend/correct/note/cancel of an act, and
every step of a declaration, document request, notification or family event, adds exactly one
row here in the caller's transaction. ``read_feed`` is the only reader, shared by the HTTP
feed (``GET /api/v1/changes``) and the warehouse landing.

Feed order and cursor (docs/change_feed.md): rows are served in ``(txid, change_id)`` order and
the cursor is the last pair served, ``"<txid>.<change_id>"``. On PostgreSQL only rows whose
writing transaction is below the oldest transaction still running
(``pg_snapshot_xmin(pg_current_snapshot())``) are served: those transactions are all finished,
so no row can later appear behind the cursor. A slow writer holds the horizon back (visible
as feed lag), it never causes a skip. On SQLite ``txid`` is 0 and one writer at a time makes
``change_id`` order commit order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, insert, literal, literal_column, select, tuple_
from sqlalchemy.orm import Session

from registry_api.models import Act, Change, utcnow

ACT_CHANGE_KINDS = ("create", "amend", "correct", "marginal_note", "cancel")
CHANGE_KINDS = ACT_CHANGE_KINDS + (
    "submit", "review", "register", "reject", "expire",  # declarations
    "request", "issue", "refuse",  # document requests
    "send", "receive", "apply",  # notifications
)
ENTITY_TYPES = ("act", "declaration", "document_request", "notification", "family_event")
FEED_COLUMNS = (
    "change_id", "txid", "entity_type", "entity_id", "act_id", "office_code", "change_kind",
    "version", "after_image", "actor", "reason", "legal_basis", "changed_at",
)

_ENTITY_OF = {
    "acts": "act", "declarations": "declaration", "document_requests": "document_request",
    "notifications": "notification", "family_events": "family_event",
}


def record_change(
    session: Session,
    entity: Any,
    change_kind: str,
    actor: str,
    *,
    reason: str | None = None,
    legal_basis: str | None = None,
    at: dt.datetime | None = None,
) -> None:
    """Append the entity's after-image to the change log, in the caller's transaction."""
    session.flush()  # ids and defaults are assigned before the image is taken
    entity_type = _ENTITY_OF[entity.__tablename__]
    entity_id = entity.__mapper__.primary_key_from_instance(entity)[0]
    if isinstance(entity, Act) and change_kind != "create":
        # notes may have been inserted as rows of their own since the collection was loaded;
        # a new act's collection is the one it was created with (empty)
        session.refresh(entity, ["marginal_notes"])
    image = entity.as_dict()
    # a Core insert, executed now: the row is written in the caller's transaction like an ORM
    # add, without the unit of work's bookkeeping for an object nobody reads back
    session.execute(_INSERT_CHANGE, {
        "entity_type": entity_type,
        "entity_id": entity_id,
        "act_id": image.get("act_id") if entity_type == "act" else image.get("act_id") or image.get("target_act_id"),
        "office_code": image.get("office_code") or image.get("to_office_code") or image.get("husband_birth_office_code"),
        "change_kind": change_kind,
        "version": image.get("version", 1),
        "after_image": image,
        "actor": actor,
        "reason": reason,
        "legal_basis": legal_basis,
        "changed_at": at or utcnow(),
    })


_INSERT_CHANGE = insert(Change.__table__)


# ----------------------------------------------------------------------------- the feed
@dataclass(frozen=True, order=True)
class Cursor:
    txid: int = 0
    change_id: int = 0

    @classmethod
    def parse(cls, raw: str | None) -> Cursor:
        """``None``/``"0"`` is the start; otherwise ``"<txid>.<change_id>"``."""
        if raw in (None, "", "0"):
            return cls()
        head, sep, tail = raw.partition(".")
        if not sep or not head.isdigit() or not tail.isdigit():
            raise ValueError("cursor must be '0' or '<txid>.<change_id>' as returned by next_cursor")
        return cls(int(head), int(tail))

    def __str__(self) -> str:
        return f"{self.txid}.{self.change_id}"


@dataclass
class FeedPage:
    rows: list[dict[str, Any]]
    next_cursor: Cursor
    horizon: int | None  # PostgreSQL: the oldest running transaction id; None on SQLite
    has_more: bool


def _horizon(dialect: str) -> ColumnElement[int] | None:
    if dialect == "postgresql":
        return literal_column("(pg_snapshot_xmin(pg_current_snapshot())::text::bigint)")
    return None


def read_feed(session: Session, after: Cursor, limit: int) -> FeedPage:
    """Rows after ``after`` in commit-safe order, at most ``limit`` of them."""
    t = Change.__table__
    horizon = _horizon(session.get_bind().dialect.name)
    stmt = (
        select(*(t.c[c] for c in FEED_COLUMNS))
        .where(tuple_(t.c.txid, t.c.change_id) > tuple_(literal(after.txid), literal(after.change_id)))
        .order_by(t.c.txid, t.c.change_id)
        .limit(limit + 1)
    )
    if horizon is not None:
        # same statement, same snapshot: every transaction below the horizon has finished
        stmt = stmt.where(t.c.txid < horizon)
    result = session.execute(stmt).mappings().all()
    rows = [dict(r) for r in result[:limit]]
    nxt = Cursor(rows[-1]["txid"], rows[-1]["change_id"]) if rows else after
    horizon_value = int(session.execute(select(horizon)).scalar_one()) if horizon is not None else None
    return FeedPage(rows=rows, next_cursor=nxt, horizon=horizon_value, has_more=len(result) > limit)
