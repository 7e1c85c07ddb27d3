"""Declaration tracking numbers: short, unambiguous, self-checking.

Format ``<P><8 symbols><check>`` over Crockford's base-32 alphabet (no I, L, O, U), where ``P`` is
a letter reserved for the event type (N birth/naissance, D death/décès, M marriage, R divorce/
rupture), so numbers of different event types can never clash or be prefixes of each other. The
check symbol (Luhn mod 32) catches every single-symbol typo and every adjacent transposition.
Input is normalised: case, spaces and dashes are ignored; O->0, I/L->1 as in Crockford.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = {"birth": "N", "death": "D", "marriage": "M", "divorce": "R"}
BODY_LENGTH = 8
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})


def _check_symbol(body: str) -> str:
    """Luhn mod N over the base-32 alphabet."""
    factor, total, n = 2, 0, len(ALPHABET)
    for ch in reversed(body):
        addend = factor * _INDEX[ch]
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return ALPHABET[(n - total % n) % n]


def new_tracking_number(event_type: str, rng: secrets.SystemRandom | None = None) -> str:
    choice = (rng or secrets.SystemRandom()).choice
    body = PREFIX[event_type] + "".join(choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + _check_symbol(body)


def normalise(raw: str) -> str:
    return raw.upper().translate(_ALIASES)


def is_valid(raw: str) -> bool:
    s = normalise(raw)
    if len(s) != BODY_LENGTH + 2 or s[0] not in PREFIX.values() or any(c not in _INDEX for c in s):
        return False
    return _check_symbol(s[:-1]) == s[-1]


def format_display(number: str) -> str:
    """N7K4M-2QXH-C style grouping for printing on a receipt."""
    s = normalise(number)
    return f"{s[:5]}-{s[5:9]}-{s[9:]}"
