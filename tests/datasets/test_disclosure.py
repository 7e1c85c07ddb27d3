"""Suppression correctness: primary cells withheld, and no withheld cell recoverable by an
attacker who holds every published cell and every margin equation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datasets.disclosure import Dimension, aggregate, determined_cells, protect
from tests.datasets.attacker import linear_determined, lp_bounds, propagate


def _leaves(dim: Dimension) -> list[int]:
    return [i for i in range(len(dim)) if not dim.children[i]]


def _cube(dims: list[Dimension], rng: np.random.Generator, lam: float) -> np.ndarray:
    values = np.zeros([len(d) for d in dims], dtype=np.int64)
    leaf = np.ix_(*[_leaves(d) for d in dims])
    values[leaf] = rng.poisson(lam, values[leaf].shape)
    return aggregate(dims, values)


@st.composite
def cubes(draw: st.DrawFn) -> tuple[list[Dimension], np.ndarray]:
    provinces = draw(st.integers(1, 2))
    per = draw(st.integers(2, 8))  # wide and sparse too: more empty siblings than box candidates
    geo = Dimension.tree(
        "geo", [(f"c{p}{i}", f"p{p}") for p in range(provinces) for i in range(per)], ["commune", "province"], root="MA"
    )
    months = draw(st.integers(2, 3))
    time = Dimension.tree("time", [(f"m{m}", "y") for m in range(months)], ["month", "year"])
    dims = [geo, time]
    if draw(st.booleans()):
        dims.append(Dimension.flat("sex", ["M", "F"], level="sex", total="T"))
    elif draw(st.booleans()):
        dims.append(Dimension.flat("age", ["a", "b", "c"], level="age", total="all"))
    lam = draw(st.floats(0.3, 9.0))
    seed = draw(st.integers(0, 2**32 - 1))
    return dims, _cube(dims, np.random.default_rng(seed), lam)


def _assert_holds(dims: list[Dimension], values: np.ndarray, suppressed: np.ndarray) -> None:
    sensitive = (values >= 1) & (values <= 4)
    assert suppressed[sensitive].all(), "a count of 1-4 is published"
    assert not propagate(dims, values, suppressed), "an equation with one unknown gives a withheld cell away"
    assert not linear_determined(dims, values, suppressed), "combining equations gives a withheld cell away"
    bounds = lp_bounds(dims, values, suppressed)
    for flat, (lo, hi) in bounds.items():
        # at least two integer values stay possible for every withheld cell
        assert math.isinf(hi) or math.floor(hi + 1e-6) > math.ceil(lo - 1e-6), (flat, values.flat[flat], lo, hi)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(cubes())
def test_no_withheld_cell_can_be_recomputed(cube: tuple[list[Dimension], np.ndarray]) -> None:
    dims, values = cube
    result = protect(dims, values)
    _assert_holds(dims, values, result.suppressed)
    assert result.primary == int(((values >= 1) & (values <= 4)).sum())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(cubes())
def test_small_counts_cannot_be_bounded_from_above(cube: tuple[list[Dimension], np.ndarray]) -> None:
    """An attacker who learns "at most 1" has learnt the count: for every withheld count of 1-4,
    the published figures must allow a larger value (unless the box had to use a zero: a weak
    box, taken only to keep a top-level total published, and counted)."""
    dims, values = cube
    result = protect(dims, values)
    if result.boxes_with_zeros:
        return  # reported in the release; the two-sided check cannot hold for those boxes
    bounds = lp_bounds(dims, values, result.suppressed)
    for flat, (_lo, hi) in bounds.items():
        v = values.flat[flat]
        if 1 <= v <= 4:
            assert hi >= v + 1 - 1e-6, (flat, v, hi)


def _bridge_table() -> tuple[list[Dimension], np.ndarray, np.ndarray]:
    """4×4 with margins: two suppressed rectangles joined by one cell (r2, c3)."""
    rows = Dimension.flat("row", ["r1", "r2", "r3", "r4"], level="row")
    cols = Dimension.flat("col", ["c1", "c2", "c3", "c4"], level="col")
    values = np.zeros((5, 5), dtype=np.int64)
    values[1:, 1:] = [[3, 8, 9, 7], [6, 2, 11, 9], [7, 9, 4, 6], [8, 7, 5, 3]]
    values = aggregate([rows, cols], values)
    suppressed = np.zeros((5, 5), dtype=bool)
    for r, c in [(1, 1), (1, 2), (2, 1), (2, 2), (3, 3), (3, 4), (4, 3), (4, 4), (2, 3)]:
        suppressed[r, c] = True
    return [rows, cols], values, suppressed


def test_the_row_column_rule_alone_leaks_and_the_attacker_sees_it() -> None:
    """Every row and column has 0 or ≥ 2 withheld cells, yet (r2, c3) is recoverable: the reason
    the protection uses boxes, and proof that the attacker's linear solve has teeth."""
    dims, values, suppressed = _bridge_table()
    for axis in (0, 1):
        counts = suppressed.sum(axis=axis)
        assert ((counts == 0) | (counts >= 2)).all()
    bridge = int(np.ravel_multi_index((2, 3), values.shape))
    assert not propagate(dims, values, suppressed)
    assert linear_determined(dims, values, suppressed) == {bridge}
    assert set(determined_cells(dims, suppressed).tolist()) == {bridge}  # the module's own audit agrees
    lo, hi = lp_bounds(dims, values, suppressed)[bridge]
    assert lo == pytest.approx(values[2, 3]) and hi == pytest.approx(values[2, 3])


def test_protect_repairs_the_bridge_pattern() -> None:
    dims, values, _ = _bridge_table()
    result = protect(dims, values, verify=True)
    _assert_holds(dims, values, result.suppressed)


def test_a_national_scale_year_holds_against_the_exact_linear_attacker() -> None:
    """Births of one region-like tree (3 provinces × 6 communes) × 12 months × sex: the module's
    sparse audit (components + SVD) finds nothing recoverable."""
    geo = Dimension.tree(
        "geo", [(f"c{p}{i}", f"p{p}", "r") for p in range(3) for i in range(6)], ["commune", "province", "region"], root="MA"
    )
    time = Dimension.tree("time", [(f"2024-{m:02d}", "2024") for m in range(1, 13)], ["month", "year"])
    sex = Dimension.flat("sex", ["M", "F"], level="sex", total="T")
    values = _cube([geo, time, sex], np.random.default_rng(3), 3.5)
    result = protect([geo, time, sex], values, verify=True)  # raises if any cell is recoverable
    assert result.primary > 50 and result.secondary > 0
    assert not propagate([geo, time, sex], values, result.suppressed)


def test_an_empty_cheapest_sibling_does_not_push_the_box_up_to_the_totals() -> None:
    """A commune's count of 2 among ten communes, seven of them empty: the cheapest siblings are
    the empty ones, and a box through an empty cell on its minus side is the weak kind (the
    attacker learns the 2 is the most it can be). The strong box through a non-empty commune
    must be found rather than a leaf-to-top path that withholds the province and national totals."""
    geo = Dimension.tree("geo", [(f"c{i}", "p") for i in range(10)], ["commune", "province"], root="MA")
    sex = Dimension.flat("sex", ["M", "F"], level="sex", total="T")
    values = np.zeros((len(geo), len(sex)), dtype=np.int64)
    c = {code: i for i, code in enumerate(geo.codes)}
    m, f = sex.codes.index("M"), sex.codes.index("F")
    values[c["c0"], [m, f]] = (2, 6)
    values[c["c8"], [m, f]] = (9, 11)
    values[c["c9"], [m, f]] = (40, 38)
    values = aggregate([geo, sex], values)
    result = protect([geo, sex], values)
    _assert_holds([geo, sex], values, result.suppressed)
    assert result.boxes == 1 and result.boxes_with_zeros == 0
    withheld = {(geo.codes[g], sex.codes[s]) for g, s in zip(*np.nonzero(result.suppressed), strict=True)}
    assert withheld == {("c0", "M"), ("c0", "F"), ("c8", "M"), ("c8", "F")}


def test_same_counts_same_suppression_and_cache(tmp_path) -> None:  # type: ignore[no-untyped-def]
    geo = Dimension.tree("geo", [(f"c{i}", "p") for i in range(5)], ["commune", "province"], root="MA")
    time = Dimension.tree(
        "time", [(f"{y}-{m:02d}", str(y)) for y in (2023, 2024) for m in range(1, 7)], ["month", "year"]
    )
    values = _cube([geo, time], np.random.default_rng(11), 4.0)
    a = protect([geo, time], values)
    b = protect([geo, time], values, cache_dir=tmp_path)
    c = protect([geo, time], values, cache_dir=tmp_path)  # read back from the cache
    assert len(list(tmp_path.glob("*.npz"))) == 2  # one per year: years are independent blocks
    assert np.array_equal(a.suppressed, b.suppressed) and np.array_equal(b.suppressed, c.suppressed)
    assert a.as_dict() == c.as_dict()
    _assert_holds([geo, time], values, a.suppressed)


def test_years_protected_in_parallel_give_the_same_pattern(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Years are independent blocks: protected in worker processes, the result is the one a
    single process gives, byte for byte (the release checksums rely on it), and the cache ends
    up with one pattern per year that a later run reads back."""
    geo = Dimension.tree(
        "geo", [(f"c{p}{i}", f"p{p}", "r") for p in range(3) for i in range(5)], ["commune", "province", "region"], root="MA"
    )
    time = Dimension.tree("time", [(f"{y}-{m:02d}", str(y)) for y in (2022, 2023, 2024) for m in range(1, 13)], ["month", "year"])
    sex = Dimension.flat("sex", ["M", "F"], level="sex", total="T")
    values = _cube([geo, time, sex], np.random.default_rng(5), 3.0)
    one = protect([geo, time, sex], values, workers=1)
    two = protect([geo, time, sex], values, workers=2, cache_dir=tmp_path)
    assert one.suppressed.tobytes() == two.suppressed.tobytes() and one.as_dict() == two.as_dict()
    assert one.primary > 0 and one.secondary > 0
    assert len(list(tmp_path.glob("*.npz"))) == 3  # written by the worker processes
    again = protect([geo, time, sex], values, workers=2, cache_dir=tmp_path)
    assert again.suppressed.tobytes() == one.suppressed.tobytes()


def test_tree_rejects_a_node_with_two_parents() -> None:
    with pytest.raises(ValueError, match="two parents"):
        Dimension.tree("geo", [("c1", "p1"), ("c1", "p2")], ["commune", "province"])
