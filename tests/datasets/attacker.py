"""An attacker who holds every published cell of a table and its additivity equations, written
independently of datasets.disclosure (it only reads the dimensions' parent links):

1. ``propagate``: solves any equation with a single unknown, repeatedly (the row/column attack);
2. ``linear_determined``: a suppressed cell is recovered when every solution of the equations
   over the suppressed cells gives it the same value (its column is zero in every null vector;
   dense SVD);
3. ``lp_bounds``: min and max of each suppressed cell under the equations and non-negativity
   (scipy's HiGHS), the "interval" attack.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from datasets.disclosure import Dimension


def equations(dims: Sequence[Dimension], shape: tuple[int, ...]) -> list[list[tuple[int, float]]]:
    """Every equation parent − Σ children = 0 as [(flat cell, coefficient)]."""
    out = []
    for axis, dim in enumerate(dims):
        kids: dict[int, list[int]] = {}
        for node, parent in enumerate(dim.parents):
            if parent >= 0:
                kids.setdefault(parent, []).append(node)
        others = [range(n) for a, n in enumerate(shape) if a != axis]
        for parent, children in kids.items():
            for rest in itertools.product(*others):
                def flat(node: int, rest: tuple[int, ...] = rest, axis: int = axis) -> int:
                    idx = list(rest)
                    idx.insert(axis, node)
                    return int(np.ravel_multi_index(idx, shape))

                out.append([(flat(parent), 1.0)] + [(flat(c), -1.0) for c in children])
    return out


def propagate(dims: Sequence[Dimension], values: np.ndarray, suppressed: np.ndarray) -> set[int]:
    known = ~suppressed.ravel().copy()
    recovered: set[int] = set()
    eqs = equations(dims, values.shape)
    changed = True
    while changed:
        changed = False
        for eq in eqs:
            unknown = [f for f, _ in eq if not known[f]]
            if len(unknown) == 1:
                known[unknown[0]] = True
                recovered.add(unknown[0])
                changed = True
    return recovered


def _system(dims: Sequence[Dimension], values: np.ndarray, suppressed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    supp = np.flatnonzero(suppressed)
    col = {int(f): i for i, f in enumerate(supp)}
    rows, rhs = [], []
    flat_values = values.ravel()
    for eq in equations(dims, values.shape):
        row = np.zeros(supp.size)
        b = 0.0
        for f, c in eq:
            if f in col:
                row[col[f]] += c
            else:
                b -= c * flat_values[f]
        if row.any():
            rows.append(row)
            rhs.append(b)
    a = np.array(rows) if rows else np.zeros((0, supp.size))
    return supp, a, np.array(rhs)


def linear_determined(dims: Sequence[Dimension], values: np.ndarray, suppressed: np.ndarray) -> set[int]:
    supp, a, _ = _system(dims, values, suppressed)
    return {int(supp[i]) for i in recoverable(a)}


def recoverable(a: np.ndarray) -> list[int]:
    """Columns of ``a`` (unknowns) whose value the equations fix: every null vector is 0 there."""
    n = a.shape[1]
    if n == 0:
        return []
    if a.shape[0] == 0:
        return []
    _, s, vt = np.linalg.svd(a, full_matrices=True)
    rank = int((s > s.max() * max(a.shape) * np.finfo(float).eps).sum())
    null = vt[rank:]
    if null.shape[0] == 0:
        return list(range(n))
    return [i for i in range(n) if np.linalg.norm(null[:, i]) < 1e-8]


def lp_bounds(dims: Sequence[Dimension], values: np.ndarray, suppressed: np.ndarray) -> dict[int, tuple[float, float]]:
    from scipy.optimize import linprog

    supp, a, b = _system(dims, values, suppressed)
    out = {}
    kw = {"A_eq": a, "b_eq": b} if a.shape[0] else {}
    for i, f in enumerate(supp):
        c = np.zeros(supp.size)
        c[i] = 1.0
        lo = linprog(c, bounds=(0, None), method="highs", **kw)
        hi = linprog(-c, bounds=(0, None), method="highs", **kw)
        assert lo.status == 0, "the published table must be feasible"
        out[int(f)] = (float(lo.fun), float(-hi.fun) if hi.status == 0 else float("inf"))
    return out
