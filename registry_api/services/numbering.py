"""Act numbers: per office, per year, per register, with no duplicate and no hole."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

# One statement that creates the counter row or increments it, and returns the new value.
# PostgreSQL row-locks the counter until commit (so a concurrent registration in the same
# office waits, and a rollback gives the number back); SQLite holds the database write lock
# (BEGIN IMMEDIATE). Different offices never contend.
_NEXT = text(
    """
    insert into act_counters (office_code, register_year, act_type, last_number)
    values (:office, :year, :act_type, :n)
    on conflict (office_code, register_year, act_type)
    do update set last_number = act_counters.last_number + excluded.last_number
    returning last_number
    """
)


def reserve_act_numbers(session: Session, office_code: str, register_year: int, act_type: str, n: int = 1) -> range:
    """Reserve ``n`` consecutive numbers in the register and return them."""
    last = session.execute(_NEXT, {"office": office_code, "year": register_year, "act_type": act_type, "n": n}).scalar_one()
    return range(last - n + 1, last + 1)


def next_act_number(session: Session, office_code: str, register_year: int, act_type: str) -> int:
    return reserve_act_numbers(session, office_code, register_year, act_type, 1)[0]
