"""The protected count cubes that aggregate datasets are sliced from.

Each cube counts one kind of event over hierarchical dimensions and is protected once by
:mod:`datasets.disclosure`; every aggregate dataset reads a slice of it through a DuckDB view
``cube_<name>`` with columns ``<dim>_level, <dim>_code`` per dimension, ``value`` and
``is_suppressed``. Two datasets that show the same count (births of a region in a year, say)
therefore show the same figure, withheld in both or in neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from datasets.disclosure import Dimension, Protection, aggregate, protect

AGE_GROUPS = ("0", "1-4", "5-14", "15-24", "25-34", "35-44", "45-54", "55-64", "65-74", "75-84", "85+")
UNKNOWN_AGE = "unknown"
SEX_TOTAL = "T"
AGE_TOTAL = "all"
NATIONAL = "MA"

# dimension kind -> (cube column name, how its nodes are found)
_GEO_SQL = {
    "geo_commune": (
        "select distinct commune_code, province_code, region_code from dim_geography "
        "where commune_code is not null and province_code is not null and region_code is not null",
        ("commune", "province", "region"),
    ),
    "geo_province": (
        "select distinct province_code, region_code from dim_geography "
        "where province_code is not null and region_code is not null",
        ("province", "region"),
    ),
    "geo_region": ("select distinct region_code from dim_geography where region_code is not null", ("region",)),
}


@dataclass(frozen=True)
class CubeSpec:
    name: str
    sources: tuple[str, ...]  # marts read (the Dagster dependencies of its datasets)
    # one row per leaf cell with events: the dimension columns (``geo``, ``time``, ``sex``,
    # ``age``) as text codes, and ``n``
    leaf_sql: str
    dims: tuple[str, ...]  # kinds: geo_commune | geo_province | geo_region | month | year | sex | age_group


CUBES: dict[str, CubeSpec] = {
    "births": CubeSpec(
        "births",
        ("fct_birth", "dim_geography"),
        """
        select commune_code as geo, strftime(event_month, '%Y-%m') as time, sex, count(*) as n
        from fct_birth
        where not is_cancelled and event_month is not null and sex in ('M', 'F')
        group by all
        """,
        ("geo_commune", "month", "sex"),
    ),
    "deaths": CubeSpec(
        "deaths",
        ("fct_death", "dim_geography"),
        f"""
        select province_code as geo, strftime(event_month, '%Y-%m') as time, sex,
            coalesce(age_group, '{UNKNOWN_AGE}') as age, count(*) as n
        from fct_death
        where not is_cancelled and event_month is not null and sex in ('M', 'F')
        group by all
        """,
        ("geo_province", "month", "sex", "age_group"),
    ),
    "marriages": CubeSpec(
        "marriages",
        ("fct_marriage", "dim_geography"),
        "select region_code as geo, cast(year(event_month) as varchar) as time, count(*) as n "
        "from fct_marriage where event_month is not null group by all",
        ("geo_region", "year"),
    ),
    "divorces": CubeSpec(
        "divorces",
        ("fct_divorce", "dim_geography"),
        "select region_code as geo, cast(year(event_month) as varchar) as time, count(*) as n "
        "from fct_divorce where event_month is not null group by all",
        ("geo_region", "year"),
    ),
}

_COLUMN = {"geo_commune": "geo", "geo_province": "geo", "geo_region": "geo", "month": "time", "year": "time", "sex": "sex", "age_group": "age"}


@dataclass
class ProtectedCube:
    spec: CubeSpec
    dims: list[Dimension]
    values: np.ndarray
    protection: Protection
    excluded_events: int  # events outside the dimensions (no Moroccan geography, unknown code)

    def summary(self) -> dict[str, int]:
        return {**self.protection.as_dict(), "excluded_events": self.excluded_events}


def _months(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _dimension(kind: str, con: duckdb.DuckDBPyConnection, leaves: pa.Table) -> Dimension:
    if kind in _GEO_SQL:
        sql, levels = _GEO_SQL[kind]
        paths = [tuple(r) for r in con.execute(sql).fetchall()]
        return Dimension.tree(kind, paths, levels, root=NATIONAL)
    if kind == "sex":
        return Dimension.flat("sex", ["M", "F"], level="sex", total=SEX_TOTAL)
    if kind == "age_group":
        return Dimension.flat("age_group", [*AGE_GROUPS, UNKNOWN_AGE], level="age_group", total=AGE_TOTAL)
    times = sorted({t for t in leaves.column("time").to_pylist() if t})
    if kind == "year":
        return Dimension.single_level("year", times, level="year")
    months = _months(times[0], times[-1]) if times else []
    return Dimension.tree("month", [(m, m[:4]) for m in months], ("month", "year"))


def build_cube(spec: CubeSpec, con: duckdb.DuckDBPyConnection, *, cache_dir: Path | None = None) -> ProtectedCube:
    """Count, aggregate every margin, protect; register the ``cube_<name>`` view on ``con``."""
    leaves = con.sql(spec.leaf_sql).to_arrow_table()
    dims = [_dimension(kind, con, leaves) for kind in spec.dims]
    shape = tuple(len(d) for d in dims)
    values = np.zeros(shape, dtype=np.int64)
    n = leaves.column("n").to_numpy().astype(np.int64)
    keep = np.ones(len(n), dtype=bool)
    idx = []
    for kind, dim in zip(spec.dims, dims, strict=True):
        codes = leaves.column(_COLUMN[kind]).to_pylist()
        lookup = {c: i for i, c in enumerate(dim.codes) if not dim.children[i]}
        col = np.array([lookup.get(c, -1) for c in codes], dtype=np.intp)
        keep &= col >= 0
        idx.append(col)
    if all(shape):
        np.add.at(values, tuple(c[keep] for c in idx), n[keep])
    excluded = int(n[~keep].sum())
    values = aggregate(dims, values)
    protection = protect(dims, values, cache_dir=cache_dir / spec.name if cache_dir else None) if all(shape) else Protection(
        np.zeros(shape, dtype=bool), 0, 0, 0, 0
    )
    cube = ProtectedCube(spec, dims, values, protection, excluded)
    _register(con, cube)
    return cube


def _register(con: duckdb.DuckDBPyConnection, cube: ProtectedCube) -> None:
    name = f"cube_{cube.spec.name}"
    grids = np.indices(cube.values.shape).reshape(len(cube.dims), -1) if cube.values.size else np.zeros((len(cube.dims), 0), dtype=np.intp)
    cells = {f"i{d}": pa.array(grids[d].astype(np.int32)) for d in range(len(cube.dims))}
    cells["value"] = pa.array(cube.values.ravel())
    cells["is_suppressed"] = pa.array(cube.protection.suppressed.ravel())
    con.register(f"{name}__cells", pa.table(cells))
    joins, cols = [], []
    for d, (kind, dim) in enumerate(zip(cube.spec.dims, cube.dims, strict=True)):
        col = _COLUMN[kind]
        con.register(
            f"{name}__{col}",
            pa.table({"i": pa.array(range(len(dim)), pa.int32()), "level": list(dim.levels), "code": list(dim.codes)}),
        )
        joins.append(f'inner join {name}__{col} as d{d} on d{d}.i = c.i{d}')
        cols.append(f"d{d}.level as {col}_level, d{d}.code as {col}_code, d{d}.i as {col}_order")
    con.execute(
        f"create or replace temp view {name} as select {', '.join(cols)}, c.value, c.is_suppressed "
        f"from {name}__cells as c {' '.join(joins)}"
    )
