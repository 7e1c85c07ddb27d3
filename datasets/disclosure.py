"""Small-cell suppression that holds: primary suppression of counts 1–4, then complementary
suppression such that no suppressed cell can be recomputed from what is published.

Why a whole hierarchical table and not just the published slice: datasets overlap. The births
by commune × month × sex and the public vital events by region × year are two slices of the same
counts; an attacker holding both can subtract. So each family of counts (births, deaths,
marriages, divorces) is protected once, as a *cube* whose every dimension is a hierarchy
(commune → province → region → national; month → year; M, F → total; age groups → all ages),
with every margin treated as known unless we suppress it. Each dataset is a slice of a protected
cube, so the releases agree with each other and any margin may be published later.

The attacker's equations are the cube's additivity constraints: along each dimension, for each
parent node and each combination of the other dimensions' nodes, ``parent = Σ children``. A
suppressed cell is safe exactly when some vector that satisfies all those equations with zeros
on every published cell is non-zero on it (then the published figures stay true when the
suppressed cells move along that vector, so they cannot pin the cell).

Method — the hypercube method (Repsilber's GHMITER, used in τ-Argus): through every primary
cell put a *box*, the product over dimensions of a one-dimensional zero-margin pattern (two
sibling branches with opposite signs, or a leaf-to-top path), and suppress all its cells. A box
is such a vector and is non-zero on each of its cells, so every suppressed cell carries its own
certificate; no global solve is needed. Among candidate boxes we take, in order: no zero cell
opposite the target (a zero there can block the attacker's interval on one side), then the
smallest count newly withheld; ties by position, so the same inputs give the same suppression.
Before both: never a box with zeros on both sides of its target (it pins it; the box made of
leaf-to-top paths, always a candidate, has no minus side), then one that withholds no published
top-level cell (docs/datasets.md, "Choosing a box").

Why not "suppress one more cell in every row/column with a single suppressed cell": it is
necessary but not sufficient (two suppressed rectangles joined by one cell let the attacker
recompute that cell by combining equations). :func:`determined_cells` is the exact linear
attacker (row-space test per connected component) that the tests run against both methods.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ALGORITHM = "hypercube-v3"  # part of the cache key: change it when the choice of boxes changes
MIN_COUNT = 5  # counts 1..MIN_COUNT-1 are primary-sensitive
DENSE_MAX = 2500  # largest component decided by dense SVD
_NULL_TOL = 1e-8
PARALLEL_MIN_CELLS = 100_000  # below this many cells to protect, blocks run in this process


@dataclass(frozen=True)
class Dimension:
    """One hierarchical dimension of a cube: nodes (leaves and totals), each with its parent."""

    name: str
    codes: tuple[str, ...]
    levels: tuple[str, ...]
    parents: tuple[int, ...]  # index of the parent node, -1 for a root
    children: tuple[tuple[int, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        kids: list[list[int]] = [[] for _ in self.codes]
        for i, p in enumerate(self.parents):
            if p >= 0:
                kids[p].append(i)
        object.__setattr__(self, "children", tuple(tuple(k) for k in kids))

    def __len__(self) -> int:
        return len(self.codes)

    def index(self) -> dict[tuple[str, str], int]:
        return {(lvl, code): i for i, (lvl, code) in enumerate(zip(self.levels, self.codes, strict=True))}

    def roots(self) -> list[int]:
        return [i for i, p in enumerate(self.parents) if p < 0]

    def subtree(self, root: int) -> tuple[Dimension, np.ndarray]:
        """The nodes under ``root`` (inclusive) as a dimension of their own, and their indices."""
        keep = [i for i in range(len(self.codes)) if self._root_of(i) == root]
        pos = {old: new for new, old in enumerate(keep)}
        sub = Dimension(
            self.name,
            tuple(self.codes[i] for i in keep),
            tuple(self.levels[i] for i in keep),
            tuple(-1 if self.parents[i] < 0 else pos[self.parents[i]] for i in keep),
        )
        return sub, np.array(keep, dtype=np.intp)

    def _root_of(self, i: int) -> int:
        while self.parents[i] >= 0:
            i = self.parents[i]
        return i

    @classmethod
    def flat(cls, name: str, categories: Sequence[str], *, level: str, total: str = "_T") -> Dimension:
        """Categories plus their total (e.g. sex M, F → _T)."""
        codes = (total, *categories)
        return cls(name, codes, ("total", *([level] * len(categories))), (-1, *([0] * len(categories))))

    @classmethod
    def single_level(cls, name: str, categories: Sequence[str], *, level: str) -> Dimension:
        """Categories with no total (years that are never added up, for instance)."""
        return cls(name, tuple(categories), tuple([level] * len(categories)), tuple([-1] * len(categories)))

    @classmethod
    def tree(cls, name: str, paths: Sequence[Sequence[str]], levels: Sequence[str], *, root: str | None = None) -> Dimension:
        """A hierarchy from leaf-to-top paths, e.g. (commune, province, region) per commune.

        ``levels`` names each position of a path (leaf first); ``root`` adds a single top node
        (the national total) above the last level. Node order: root, then level by level from
        the top, codes sorted (deterministic whatever the input order)."""
        depth = len(levels)
        parent_of: dict[tuple[int, str], tuple[int, str] | None] = {}
        for path in paths:
            if len(path) != depth:
                raise ValueError(f"{name}: path {path!r} has {len(path)} parts, expected {depth}")
            for k in range(depth):
                up = (k + 1, path[k + 1]) if k + 1 < depth else ((depth, root) if root is not None else None)
                prev = parent_of.setdefault((k, path[k]), up)
                if prev != up:
                    raise ValueError(f"{name}: {levels[k]} {path[k]!r} has two parents: {prev} and {up}")
        if root is not None:
            parent_of[(depth, root)] = None
        all_levels = (*levels, "national") if root is not None else tuple(levels)
        order = sorted(parent_of, key=lambda node: (-node[0], node[1]))
        pos = {node: i for i, node in enumerate(order)}
        codes = tuple(node[1] for node in order)
        lvls = tuple(all_levels[node[0]] for node in order)
        parents = tuple(-1 if parent_of[node] is None else pos[parent_of[node]] for node in order)  # type: ignore[index]
        return cls(name, codes, lvls, parents)


@dataclass(frozen=True)
class Group:
    """One family of equations: along ``axis``, node ``parent`` = Σ ``children``, for every
    combination of the other dimensions' nodes."""

    axis: int
    parent: int
    children: tuple[int, ...]

    @property
    def members(self) -> np.ndarray:
        # children first, parent last: on equal cost the interior cell goes before the margin
        return np.array((*self.children, self.parent), dtype=np.intp)


def groups_of(dims: Sequence[Dimension]) -> list[Group]:
    return [
        Group(axis, parent, kids)
        for axis, dim in enumerate(dims)
        for parent, kids in enumerate(dim.children)
        if kids
    ]


def aggregate(dims: Sequence[Dimension], values: np.ndarray) -> np.ndarray:
    """Fill every margin from the leaves (leaves must be set, margins zero)."""
    out = values.astype(np.int64, copy=True)
    for axis, dim in enumerate(dims):
        view = np.moveaxis(out, axis, 0)
        # deepest nodes first: a node is complete once all its descendants were added
        depth = _depths(dim)
        for node in sorted(range(len(dim)), key=lambda i: -depth[i]):
            p = dim.parents[node]
            if p >= 0:
                view[p] += view[node]
    return out


def _depths(dim: Dimension) -> list[int]:
    out = []
    for i in range(len(dim)):
        d, p = 0, dim.parents[i]
        while p >= 0:
            d, p = d + 1, dim.parents[p]
        out.append(d)
    return out


@dataclass
class Protection:
    """The outcome of :func:`protect`: which cells are withheld, and counts (never values)."""

    suppressed: np.ndarray  # bool, the cube's shape
    primary: int
    secondary: int
    boxes: int
    boxes_with_zeros: int

    def as_dict(self) -> dict[str, int]:
        return {
            "cells": int(self.suppressed.size),
            "suppressed_primary": self.primary,
            "suppressed_secondary": self.secondary,
            "boxes": self.boxes,
            "boxes_with_zeros": self.boxes_with_zeros,
        }


def workers_default() -> int:
    """Processes protecting independent blocks (years) at once: ``CIVSTAT_DATASETS_WORKERS``,
    else the number of CPUs (at most 4)."""
    env = os.environ.get("CIVSTAT_DATASETS_WORKERS", "").strip()
    if env:
        return max(1, int(env))
    return max(1, min(os.cpu_count() or 1, 4))


def protect(
    dims: Sequence[Dimension],
    values: np.ndarray,
    *,
    min_count: int = MIN_COUNT,
    verify: bool = False,
    candidates: int = 6,
    cache_dir: Path | None = None,
    workers: int | None = None,
) -> Protection:
    """Primary suppression of counts 1..min_count-1, then a box of suppressed cells through
    every primary cell (see the module docstring).

    A dimension made of several separate trees (years: no all-years total is published) splits
    the cube into independent blocks, one per tree: no equation crosses them. Each block's
    result depends only on its own counts, so with ``cache_dir`` an unchanged year is not
    recomputed (the key is a hash of the block's structure and counts and of this algorithm's
    parameters), and the blocks still to compute run in parallel processes (``workers``,
    default :func:`workers_default`); the result is the same whatever the number of workers.
    ``verify`` runs the exact linear attacker afterwards (slow on big cubes)."""
    values = np.asarray(values, dtype=np.int64)
    if values.ndim < 1 or values.shape != tuple(len(d) for d in dims):
        raise ValueError(f"values shape {values.shape} does not match dimensions {[len(d) for d in dims]}")
    split = next((d for d, dim in enumerate(dims) if len(dim.roots()) > 1), None)
    if split is None:
        result = _protect_cached(dims, values, min_count, candidates, cache_dir)
    else:
        suppressed = np.zeros(values.shape, dtype=bool)
        totals = np.zeros(4, dtype=np.int64)
        blocks = []
        for root in dims[split].roots():
            sub_dim, keep = dims[split].subtree(root)
            sub_dims = [*dims[:split], sub_dim, *dims[split + 1 :]]
            blocks.append((keep, sub_dims, np.take(values, keep, axis=split)))
        parts: list[Protection | None] = [_from_cache(d, v, min_count, candidates, cache_dir) for _, d, v in blocks]
        todo = [i for i, part in enumerate(parts) if part is None]
        n = min(workers_default() if workers is None else max(1, workers), len(todo))
        if workers is None and sum(blocks[i][2].size for i in todo) < PARALLEL_MIN_CELLS:
            n = 1  # small cubes: starting processes would cost more than it saves
        args = [(blocks[i][1], blocks[i][2], min_count, candidates, cache_dir) for i in todo]
        if n > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # spawn, not fork: the caller may hold DuckDB connections and threads
            with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn")) as pool:
                computed = list(pool.map(_protect_args, args))
        else:
            computed = [_protect_args(a) for a in args]
        for i, part in zip(todo, computed, strict=True):
            parts[i] = part
        for (keep, _, _), part in zip(blocks, parts, strict=True):
            assert part is not None
            np.moveaxis(suppressed, split, 0)[keep] = np.moveaxis(part.suppressed, split, 0)
            totals += (part.primary, part.secondary, part.boxes, part.boxes_with_zeros)
        result = Protection(suppressed, *(int(t) for t in totals))
    if verify:
        fixed = determined_cells(dims, result.suppressed)
        if fixed.size:
            raise AssertionError(f"{fixed.size} suppressed cells are recomputable")
    return result


def _protect_args(args: tuple[Sequence[Dimension], np.ndarray, int, int, Path | None]) -> Protection:
    dims, values, min_count, candidates, cache_dir = args
    return protect(dims, values, min_count=min_count, candidates=candidates, cache_dir=cache_dir, workers=1)


def _cache_path(dims: Sequence[Dimension], values: np.ndarray, min_count: int, candidates: int, cache_dir: Path) -> Path:
    h = hashlib.sha256(f"{ALGORITHM}|{min_count}|{candidates}|{values.shape}".encode())
    for d in dims:
        h.update(json.dumps([d.codes, d.levels, d.parents]).encode())
    h.update(np.ascontiguousarray(values).tobytes())
    return cache_dir / f"{h.hexdigest()}.npz"


def _from_cache(dims: Sequence[Dimension], values: np.ndarray, min_count: int, candidates: int,
                cache_dir: Path | None) -> Protection | None:
    """A block's pattern from the cache (only a block without a split of its own), else None."""
    if cache_dir is None or any(len(d.roots()) > 1 for d in dims):
        return None
    path = _cache_path(dims, values, min_count, candidates, cache_dir)
    if not path.exists():
        return None
    with np.load(path) as z:
        mask = np.unpackbits(z["mask"], count=values.size).astype(bool).reshape(values.shape)
        stats = [int(x) for x in z["stats"]]
    if mask[(values >= 1) & (values < min_count)].all():  # a damaged file is recomputed, never trusted
        return Protection(mask, *stats)
    return None


def _protect_cached(
    dims: Sequence[Dimension], values: np.ndarray, min_count: int, candidates: int, cache_dir: Path | None
) -> Protection:
    if cache_dir is None:
        return _protect_block(dims, values, min_count, candidates)
    hit = _from_cache(dims, values, min_count, candidates, cache_dir)
    if hit is not None:
        return hit
    path = _cache_path(dims, values, min_count, candidates, cache_dir)
    result = _protect_block(dims, values, min_count, candidates)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache_dir / f".{path.name}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        stats = np.array([result.primary, result.secondary, result.boxes, result.boxes_with_zeros])
        np.savez(f, mask=np.packbits(result.suppressed.ravel()), stats=stats)
    os.replace(tmp, path)
    return result


def _protect_block(dims: Sequence[Dimension], values: np.ndarray, min_count: int, candidates: int) -> Protection:
    trees = [_Tree(d) for d in dims]
    sensitive = (values >= 1) & (values < min_count)
    suppressed = sensitive.copy()
    covered = np.zeros(values.shape, dtype=bool)
    # what withholding a cell still costs: its count while published, 0 once suppressed
    live = np.where(suppressed, 0.0, values.astype(np.float64))
    zero = (values == 0).astype(np.float64)
    # the cells near the top of every hierarchy (depth <= 1 in each dimension: national and
    # region totals, by year or month, by sex or age group) that are still published: what the
    # public tables show, kept out of a box whenever a box that does not pin its target allows
    high = np.ones(values.shape, dtype=bool)
    for d, tree in enumerate(trees):
        shape = [1] * values.ndim
        shape[d] = len(tree.up)
        high = high & (np.array([len(chain) <= 2 for chain in tree.up]).reshape(shape))
    high_live = np.where(high & ~suppressed, 1.0, 0.0)
    flats = np.flatnonzero(sensitive)
    if flats.size:
        # margins first: their boxes are the widest and cover many interior cells on the way
        coords = np.unravel_index(flats, values.shape)
        internal = sum((~trees[d].is_leaf[coords[d]]).astype(np.int64) for d in range(len(dims)))
        flats = flats[np.lexsort((flats, -internal))]
    boxes = with_zeros = 0
    for flat in flats:
        if covered.flat[flat]:
            continue
        cell = tuple(int(i) for i in np.unravel_index(flat, values.shape))
        chosen, tier = _best_box(trees, cell, live, zero, high_live, candidates)
        box = np.ix_(*(np.array(nodes, dtype=np.intp) for nodes, _ in chosen))
        suppressed[box] = True
        live[box] = 0.0
        high_live[box] = 0.0
        # a cell is protected both ways by this box when no zero sits on the side opposite to
        # its own sign; the others wait for a box of their own
        zeros_here = zero[box] > 0.5
        if not zeros_here.any():
            covered[box] = True
        else:
            sign = np.ones((1,) * len(chosen))
            for d, (_, signs) in enumerate(chosen):
                shape = [1] * len(chosen)
                shape[d] = len(signs)
                sign = sign * np.array(signs, dtype=np.float64).reshape(shape)
            ok = np.ones(sign.shape, dtype=bool)
            if (zeros_here & (sign < 0)).any():
                ok &= sign < 0
            if (zeros_here & (sign > 0)).any():
                ok &= sign > 0
            covered[box] |= ok
        covered.flat[flat] = True  # even when weak (tier 1): counted in boxes_with_zeros
        boxes += 1
        with_zeros += tier > 0
    primary = int(sensitive.sum())
    return Protection(suppressed, primary, int(suppressed.sum()) - primary, boxes, with_zeros)


class _Tree:
    """Plain-Python views of a dimension for the box search (tiny lists: numpy calls would cost
    more than the arithmetic)."""

    def __init__(self, dim: Dimension) -> None:
        self.dim = dim
        self.parent = list(dim.parents)
        self.kids = [list(k) for k in dim.children]
        self.is_leaf = np.array([not k for k in dim.children])
        self.up: list[tuple[int, ...]] = []  # node, parent, ..., root
        for i in range(len(dim)):
            chain = [i]
            while self.parent[chain[-1]] >= 0:
                chain.append(self.parent[chain[-1]])
            self.up.append(tuple(chain))

    def descend(self, node: int, line: list[float], key: Callable[[int], Any] | None = None) -> list[int]:
        """A chain from a leaf up to ``node``, taking the cheapest child at each step down
        (cheapest by ``key``, default the count still published)."""
        key = key or line.__getitem__
        chain = [node]
        kids = self.kids[node]
        while kids:
            nxt = min(kids, key=key)
            chain.append(nxt)
            kids = self.kids[nxt]
        chain.reverse()
        return chain

    def supports(
        self, node: int, line: list[float], zline: list[float], k: int
    ) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
        """Candidate supports through ``node`` of one-dimensional null vectors, cheapest first
        (by the cost along the line through the cell). Each is (nodes, signs):
        - a leaf-to-root path (aggregate of one leaf), all +1; for a dimension without totals
          this is the node alone;
        - two branches under a common ancestor L (aggregate of leaf a minus leaf b): from a
          leaf below ``node`` up to the child of L that leads to ``node`` (+1), and from a leaf
          below a sibling branch up to that sibling (-1); L itself cancels out."""
        # the cheapest child is often an empty cell, and a box with empty cells can pin its target
        # or be weak: so every chain down is also taken through non-empty cells, which keeps a
        # strong box within reach that does not climb to the totals
        def nonzero(n: int) -> tuple[bool, float]:  # non-empty cells first, then the cheapest
            return zline[n] > 0.5, line[n]

        mine = self.descend(node, line)  # leaf .. node
        variants: list[tuple[Callable[[int], Any], list[int]]] = [(line.__getitem__, mine)]
        if any(zline[n] > 0.5 for n in mine):
            variants.append((nonzero, self.descend(node, line, nonzero)))
        out: list[tuple[float, int, tuple[int, ...], tuple[int, ...]]] = []
        for _, start in variants:
            path = (*start[:-1], *self.up[node])
            out.append((sum(line[n] for n in path), len(out), path, (1,) * len(path)))
        seen: set[tuple[int, ...]] = set()
        for key, start in variants:
            chain = list(start)
            side_cost = sum(line[n] for n in chain)
            for anc in self.up[node][1:]:
                here = chain[-1]
                sibs = sorted((s for s in self.kids[anc] if s != here), key=line.__getitem__)[:k]
                sibs += [s for s in sorted((s for s in self.kids[anc] if s != here), key=nonzero)[:k] if s not in sibs]
                side = tuple(chain)
                plus = (1,) * len(side)
                for s in sibs:
                    # in a fixed order (the tie-break is the position): the branch's cheapest chain, then its non-empty one
                    for other in dict.fromkeys(tuple(self.descend(s, line, how)) if self.kids[s] else (s,) for how in (key, nonzero)):
                        nodes = (*side, *other)
                        if nodes in seen:
                            continue
                        seen.add(nodes)
                        out.append((side_cost + sum(line[n] for n in other), len(out), nodes, plus + (-1,) * len(other)))
                chain.append(anc)
                side_cost += line[anc]
        out.sort(key=lambda t: (t[0], t[1]))
        # the k cheapest, the k cheapest with no empty cell on the minus side, and always the
        # leaf-to-top paths: all +1, so a box made of paths has no minus side and never pins
        strong = [t for t in out if not any(g < 0 and zline[n] > 0.5 for n, g in zip(t[2], t[3], strict=True))][:k]
        keep = out[:k] + [t for t in strong if t not in out[:k]]
        keep += [t for t in out if min(t[3]) > 0 and t not in keep]
        keep.sort(key=lambda t: (t[0], t[1]))
        return [(nodes, signs) for _, _, nodes, signs in keep]


def _best_box(
    trees: Sequence[_Tree], cell: tuple[int, ...], live: np.ndarray, zero: np.ndarray, high_live: np.ndarray, k: int
) -> tuple[list[tuple[tuple[int, ...], tuple[int, ...]]], int]:
    """The best box through ``cell``: a product of one-dimensional supports, i.e. a null vector
    of all the table's equations, as (nodes, signs) per dimension. Best = one that does not pin
    the target (zeros on both sides), then one that newly withholds no top-level cell
    (``high_live``), then tier 0 (the target can move both ways: no zero on the opposite side)
    before tier 1, then the least count newly withheld (``live`` is the count of each cell still
    published, 0 once withheld). Returns the box and its tier."""
    per_dim = [
        tree.supports(cell[d], live[(line := (*cell[:d], slice(None), *cell[d + 1 :]))].tolist(), zero[line].tolist(), k)
        for d, tree in enumerate(trees)
    ]
    # local grid: the union of the candidate supports' nodes, per dimension
    nodes_d: list[np.ndarray] = []
    mats_abs: list[np.ndarray] = []
    mats_sgn: list[np.ndarray] = []
    for cands in per_dim:
        flat_nodes = [n for ns, _ in cands for n in ns]
        flat_signs = [g for _, sg in cands for g in sg]
        rows = [r for r, (ns, _) in enumerate(cands) for _ in ns]
        nodes, local = np.unique(np.array(flat_nodes, dtype=np.intp), return_inverse=True)
        m_sgn = np.zeros((len(cands), nodes.size))
        m_sgn[rows, local] = flat_signs
        nodes_d.append(nodes)
        mats_abs.append(np.abs(m_sgn))
        mats_sgn.append(m_sgn)
    grid = np.ix_(*nodes_d)
    box_cost = _contract(live[grid], mats_abs)
    z = zero[grid]
    z_abs = _contract(z, mats_abs)
    z_sgn = _contract(z, mats_sgn)
    # zeros on the side opposite to the target (sign -) stop the target from going up: the
    # attacker would learn that its true value is the largest possible. Avoid those boxes.
    z_minus = (z_abs - z_sgn) / 2
    tier = (z_minus > 0.5).astype(np.int64)
    # zeros on both sides pin the target (never taken: a box of paths has no minus side, so one
    # that does not pin always exists); then a box that withholds no published top-level cell;
    # then the strong tier; then the cost
    pins = tier * ((z_abs + z_sgn) / 2 > 0.5)
    tops = _contract(high_live[grid], mats_abs) > 0.5
    best = int(np.lexsort((box_cost.ravel(), tier.ravel(), tops.ravel(), pins.ravel()))[0])
    choice = np.unravel_index(best, box_cost.shape)
    chosen = [per_dim[d][int(choice[d])] for d in range(len(trees))]
    return chosen, int(tier[choice])


def _contract(t: np.ndarray, mats: Sequence[np.ndarray]) -> np.ndarray:
    """Σ over each candidate box of ``t``: multiply every axis by its candidates' indicators."""
    # contracting the leading axis and appending the new one brings the axes back in order
    for m in mats:
        n0, rest = t.shape[0], t.shape[1:]
        t = (t.reshape(n0, -1).T @ m.T).reshape(*rest, m.shape[0])
    return t


def equations(dims: Sequence[Dimension], suppressed: np.ndarray, groups: Sequence[Group] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The equations that involve at least one suppressed cell, as COO triplets
    (equation id, flat cell index, coefficient); only suppressed cells appear (the known
    cells are constants)."""
    groups = groups_of(dims) if groups is None else groups
    shape = suppressed.shape
    eq_parts: list[np.ndarray] = []
    cell_parts: list[np.ndarray] = []
    coef_parts: list[np.ndarray] = []
    next_eq = 0
    for g in groups:
        members = g.members
        sub = np.moveaxis(suppressed, g.axis, 0)[members]
        has = sub.any(axis=0)
        pos = np.nonzero(has)
        n = pos[0].size
        if n == 0:
            continue
        eq_ids = np.arange(next_eq, next_eq + n)
        for j, node in enumerate(members):
            mask = sub[j][pos]
            if not mask.any():
                continue
            other = [p[mask] for p in pos]
            idx = [*other[: g.axis], np.full(int(mask.sum()), node), *other[g.axis :]]
            eq_parts.append(eq_ids[mask])
            cell_parts.append(np.ravel_multi_index(idx, shape))
            coef_parts.append(np.full(int(mask.sum()), 1.0 if j == len(members) - 1 else -1.0))
        next_eq += n
    if not eq_parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0)
    return np.concatenate(eq_parts), np.concatenate(cell_parts), np.concatenate(coef_parts)


def determined_cells(dims: Sequence[Dimension], suppressed: np.ndarray, *, groups: Sequence[Group] | None = None) -> np.ndarray:
    """Flat indices of suppressed cells whose value the equations fix exactly (the linear
    attacker's successes). Empty when the suppression holds."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    eq, cell, coef = equations(dims, suppressed, groups)
    supp = np.flatnonzero(suppressed)
    if supp.size == 0:
        return supp
    col = np.searchsorted(supp, cell)
    n_eq = int(eq.max()) + 1 if eq.size else 0
    n = supp.size
    if n_eq == 0:
        # suppressed cells in no equation at all (a cube with no margins): nothing fixes them
        return np.zeros(0, dtype=np.int64)
    # bipartite graph equations ↔ cells: its components are independent subsystems
    graph = coo_matrix((np.ones(eq.size), (eq, n_eq + col)), shape=(n_eq + n, n_eq + n))
    _, labels = connected_components(graph, directed=False)
    cell_label = labels[n_eq:]
    eq_label = labels[:n_eq]
    out: list[np.ndarray] = []
    order_cells = np.argsort(cell_label, kind="stable")
    order_eqs = np.argsort(eq_label[eq], kind="stable")
    cells_by = np.split(order_cells, np.flatnonzero(np.diff(cell_label[order_cells])) + 1)
    entries_by = {
        int(eq_label[eq[chunk[0]]]): chunk
        for chunk in np.split(order_eqs, np.flatnonzero(np.diff(eq_label[eq][order_eqs])) + 1)
        if chunk.size
    }
    for cols in cells_by:
        lab = int(cell_label[cols[0]])
        entries = entries_by.get(lab)
        if entries is None:
            continue  # a suppressed cell in no equation
        fixed = _determined_in_component(eq[entries], col[entries], coef[entries], cols)
        if fixed.size:
            out.append(supp[fixed])
    return np.sort(np.concatenate(out)) if out else np.zeros(0, dtype=np.int64)


def _determined_in_component(eq: np.ndarray, col: np.ndarray, coef: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Columns of one component fixed by its equations: e_i in the row space ⇔ every null
    vector is zero at i."""
    local_col = np.searchsorted(cols, col)
    eqs, local_eq = np.unique(eq, return_inverse=True)
    m, n = eqs.size, cols.size
    if n <= DENSE_MAX:
        a = np.zeros((m, n))
        np.add.at(a, (local_eq, local_col), coef)
        _, s, vt = np.linalg.svd(a, full_matrices=True)
        tol = s.max(initial=0.0) * max(m, n) * np.finfo(float).eps
        rank = int((s > tol).sum())
        null = vt[rank:]
        if null.shape[0] == 0:
            return cols
        return cols[np.linalg.norm(null, axis=0) < _NULL_TOL]
    return cols[_determined_by_projection(local_eq, local_col, coef, m, n)]


def _determined_by_projection(row: np.ndarray, col: np.ndarray, coef: np.ndarray, m: int, n: int, *, tries: int = 3) -> np.ndarray:
    """For large components: project random vectors onto the null space (x − Aᵀy, y the
    least-squares solution of Aᵀy = x); a cell free in some null vector shows up non-zero."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.linalg import lsqr

    a_t = csr_matrix((coef, (col, row)), shape=(n, m))
    rng = np.random.default_rng(20240601)  # fixed: same inputs → same suppression
    free = np.zeros(n, dtype=bool)
    for _ in range(tries):
        x = rng.standard_normal(n)
        y = lsqr(a_t, x, atol=1e-14, btol=1e-14, iter_lim=20 * (m + n))[0]
        v = x - a_t @ y
        free |= np.abs(v) > 1e-6
    return ~free
