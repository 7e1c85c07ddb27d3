"""Vectorized sampling of vital events and of what happens to them at the office.

Every function takes a ``numpy.random.Generator`` and returns column arrays (``Cols``): no
per-record Python. The bulk loader and the live mode share these samplers, so a record posted
through the API in live mode looks like one written by the bulk loader.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from registry_api.services import rules
from simulator import calibration as cal
from simulator.names import ABROAD, given, national_ids, sample_family
from simulator.timeline import Timeline, day_number, from_day

PLACES = ("home", "health_facility", "institution", "public_place", "abroad", "other")
P_HOME, P_FACILITY, P_INSTITUTION, P_PUBLIC, P_ABROAD, P_OTHER = range(6)
BIRTH, DEATH = 0, 1
ACT_TYPES = ("birth", "death")
DECLARANTS = (
    "father", "mother", "guardian", "brother", "sister", "nephew", "grandfather", "uncle", "aunt",
    "child", "spouse", "kafil", "relative", "institution", "local_authority", "prosecutor", "proxy",
)
D = {name: i for i, name in enumerate(DECLARANTS)}
MARITAL = ("single", "married", "divorced", "widowed")
FOREIGN = ("FR", "ES", "DZ", "SN", "SY", "TN", "CI", "PH")
# nationality codes (int8 index into this tuple; -1 = none): Morocco, foreign parents, host countries
NATIONALITIES = ("MA",) + FOREIGN + ("IT", "BE", "NL", "DE", "GB", "CA", "US", "AE", "SA", "TR")
NAT = {c: i for i, c in enumerate(NATIONALITIES)}
NONE = -1


class Cols(dict[str, np.ndarray]):
    """Named column arrays of equal length."""

    def __len__(self) -> int:  # type: ignore[override]
        return len(next(iter(self.values()))) if dict.__len__(self) else 0

    def take(self, index: np.ndarray) -> Cols:
        return Cols({k: v[index] for k, v in self.items()})

    @staticmethod
    def concat(parts: list[Cols]) -> Cols:
        keys = list(parts[0])
        return Cols({k: np.concatenate([p[k] for p in parts]) for k in keys})


def choice(rng: np.random.Generator, n: int, probs: list[float] | np.ndarray) -> np.ndarray:
    """Categorical draw (index into ``probs``), vectorized."""
    cum = np.cumsum(np.asarray(probs, dtype=float))
    return np.minimum(np.searchsorted(cum / cum[-1], rng.random(n), side="right"), len(cum) - 1)


def lognormal_days(rng: np.random.Generator, n: int, median: float | np.ndarray, sigma: float) -> np.ndarray:
    return np.asarray(median) * np.exp(sigma * rng.standard_normal(n))


def office_hours(rng: np.random.Generator, n: int) -> np.ndarray:
    """Local seconds after midnight of a counter operation: mornings 08:30-12:30 busier than
    afternoons 14:00-16:30 (the offices' weekly rhythm is in the working-day tables)."""
    morning = rng.random(n) < 0.7
    start = np.where(morning, 8 * 3600 + 1800, 14 * 3600)
    span = np.where(morning, 4 * 3600, 2 * 3600 + 1800)
    return start + (rng.random(n) * span).astype(np.int64)


def any_hours(rng: np.random.Generator, n: int, first: float = 7.0, last: float = 23.5) -> np.ndarray:
    """Local seconds for portal activity (evenings included)."""
    return (first * 3600 + rng.random(n) * (last - first) * 3600).astype(np.int64)


def full_years(born: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Completed years between two day numbers (the rule ``validation.full_years`` applies)."""
    b = np.asarray(born).astype("datetime64[D]")
    o = np.asarray(on).astype("datetime64[D]")
    by, oy = b.astype("datetime64[Y]"), o.astype("datetime64[Y]")
    years = oy.astype(np.int64) - by.astype(np.int64)
    # compare (month, day of month), robust to leap years
    bm = b.astype("datetime64[M]")
    om = o.astype("datetime64[M]")
    b_month = bm.astype(np.int64) % 12
    o_month = om.astype(np.int64) % 12
    b_day = (b - bm).astype(np.int64)
    o_day = (o - om).astype(np.int64)
    before = (o_month < b_month) | ((o_month == b_month) & (o_day < b_day))
    return years - before.astype(np.int64)


# --------------------------------------------------------------------------- counts
def daily_counts(
    rng: np.random.Generator,
    tl: Timeline,
    first_day: int,
    last_day: int,
    rate_table: np.ndarray,
    years: range,
    month_factor: list[float],
    scale: float,
    weekend_factor: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson counts of events per office and day, expanded to (office, day) arrays.

    An office produces electronic records only from its ``live_since``: earlier events are not
    in the registry at all (the roll-out indicator measures exactly that)."""
    offs = cal.offices()
    live = offs.live_since
    mf = np.asarray(month_factor)
    wk = np.array([1.0] * 5 + [weekend_factor] * 2)
    wk = wk * 7 / wk.sum()
    out_office, out_day = [], []
    for yi, year in enumerate(years):
        lo = max(first_day, day_number(dt.date(year, 1, 1)))
        hi = min(last_day, day_number(dt.date(year, 12, 31)))
        if lo > hi:
            continue
        days = np.arange(lo, hi + 1, dtype=np.int32)
        ix = tl.idx(days)
        seasonal = mf[tl.month[ix] - 1] * wk[tl.weekday[ix]]
        pop = offs.pop2024[:, None] * offs.growth[:, None] ** ((days[None, :] - day_number(cal.CENSUS_2024)) / 365.25)
        lam = pop * (rate_table[yi][:, None] / 1000 / 365.25) * seasonal[None, :] * scale
        lam[days[None, :] < live[:, None]] = 0.0
        counts = rng.poisson(lam)
        o, d = np.nonzero(counts)
        reps = counts[o, d]
        out_office.append(np.repeat(o.astype(np.int32), reps))
        out_day.append(np.repeat(days[d], reps))
    if not out_office:
        return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32)
    return np.concatenate(out_office), np.concatenate(out_day)


# --------------------------------------------------------------------------- births
def births(rng: np.random.Generator, tl: Timeline, office: np.ndarray, day: np.ndarray) -> Cols:
    """Attributes of births at (office, day): sex, parents, names, place, time."""
    cfg = cal.settings()["births"]
    offs = cal.offices()
    n = len(office)
    ix = tl.idx(day)
    year = tl.year[ix].astype(int)
    consular = offs.kind[office] == cal.KIND_CONSULAR
    region = region_index(office)
    sex = (rng.random(n) >= cfg["sex_ratio"] / (100 + cfg["sex_ratio"])).astype(np.int8)  # 0 = M, 1 = F

    group = choice(rng, n, cfg["mother_age_shares"])
    mother_age = np.asarray(cfg["mother_age_groups"])[group] + rng.integers(0, 5, n)
    gap = np.rint(rng.normal(cfg["father_gap_mean"], cfg["father_gap_sd"], n)).astype(int)
    father_age = np.clip(mother_age + gap, np.maximum(18, rules.plausible("father_age_min")), 75)
    father_known = rng.random(n) >= 0.012

    urban = offs.urban[office]
    gain = cfg["facility_share_gain_per_year"] * np.maximum(year - 2018, 0)
    p_fac = np.minimum(np.where(urban, cfg["facility_share_urban_2018"], cfg["facility_share_rural_2018"]) + gain, 0.99)
    place = np.where(rng.random(n) < p_fac, P_FACILITY, np.array([P_HOME, P_PUBLIC, P_OTHER])[choice(rng, n, [0.88, 0.04, 0.08])])
    place = np.where(consular, P_ABROAD, place)
    minutes = (np.clip(rng.normal(12 * 60, 6 * 60, n), 0, 24 * 60 - 1)).astype(int)

    mother_foreign = rng.random(n) < np.where(consular, 0.15, 0.012)
    father_foreign = rng.random(n) < np.where(consular, 0.02, 0.005)
    foreign_pick = rng.integers(1, len(FOREIGN) + 1, n)
    host = host_nationality()[office]
    mother_nat = np.where(mother_foreign, np.where(consular, host, foreign_pick), NAT["MA"]).astype(np.int8)
    father_nat = np.where(father_foreign, np.where(consular, host, foreign_pick), NAT["MA"]).astype(np.int8)
    nationality = np.where(father_foreign & mother_foreign, father_nat, NAT["MA"]).astype(np.int8)

    male, female = given("M"), given("F")
    child_given = np.where(sex == 0, male.sample(rng, n, "child"), female.sample(rng, n, "child"))
    fam = sample_family(rng, region)
    tfng = _tifinagh_flags(rng, region, year)

    declarant = np.where(
        father_known,
        np.array([D["father"], D["mother"], D["grandfather"], D["brother"], D["uncle"], D["proxy"]])[
            choice(rng, n, [0.84, 0.11, 0.03, 0.005, 0.01, 0.005])],
        D["mother"],
    )
    return Cols(
        act_type=np.full(n, BIRTH, dtype=np.int8),
        office=office.astype(np.int32),
        event_day=day.astype(np.int32),
        event_minute=minutes,
        place=place.astype(np.int8),
        sex=sex,
        name_sex=sex.copy(),
        given=child_given.astype(np.int32),
        family=fam,
        tfng=tfng,
        birth_day=day.astype(np.int32),
        age=np.full(n, NONE, dtype=np.int16),
        nationality=nationality,
        nid_prefix=np.full(n, NONE, dtype=np.int16),
        nid_number=np.zeros(n, dtype=np.int32),
        marital=np.full(n, NONE, dtype=np.int8),
        birth_office=np.full(n, NONE, dtype=np.int32),
        src_birth=np.full(n, NONE, dtype=np.int64),
        plurality=np.ones(n, dtype=np.int8),
        father_given=np.where(father_known, male.sample(rng, n, "adult"), NONE).astype(np.int32),
        father_family=np.where(father_known, fam, NONE).astype(np.int32),
        mother_given=female.sample(rng, n, "adult").astype(np.int32),
        mother_family=sample_family(rng, region),
        father_age=np.where(father_known, father_age, NONE).astype(np.int16),
        mother_age=mother_age.astype(np.int16),
        father_nat=np.where(father_known, father_nat, NONE).astype(np.int8),
        mother_nat=mother_nat,
        declarant=declarant.astype(np.int8),
    )


def region_index(office: np.ndarray) -> np.ndarray:
    """Region index of each office (0-11), ``names.ABROAD`` for consulates."""
    r = cal.offices().region[office]
    return np.where(r >= 0, r, ABROAD).astype(np.int8)


def host_nationality() -> np.ndarray:
    """Per office: the nationality code of its country (Morocco for communal offices)."""
    return np.array([NAT.get(c, NAT["MA"]) for c in cal.offices().country], dtype=np.int8)


def _tifinagh_flags(rng: np.random.Generator, region: np.ndarray, year: np.ndarray) -> np.ndarray:
    """Names also written in Tifinagh (law 36-21), from a given year, more in Amazigh regions."""
    cfg = cal.settings()["names"]
    share = _share_by_region(region)
    return (rng.random(len(region)) < share) & (year >= cfg["tifinagh_from"])


def _share_by_region(region: np.ndarray) -> np.ndarray:
    cfg = cal.settings()["names"]["tifinagh_share"]
    table = np.array([cfg.get(code, 0.0) for code in cal.offices().region_codes] + [0.0])
    return table[region]


def twins(rng: np.random.Generator, b: Cols) -> tuple[Cols, np.ndarray]:
    """Duplicate a share of deliveries as twins (each its own act, plurality 2). Returns the
    births and, per row, the index of its elder twin (-1 for singletons and elder twins)."""
    n = len(b)
    pick = np.nonzero(rng.random(n) < cal.settings()["births"]["twin_share"])[0]
    extra = b.take(pick)
    m = len(pick)
    extra["sex"] = (rng.random(m) < 0.5).astype(np.int8)
    extra["name_sex"] = extra["sex"].copy()
    extra["given"] = np.where(extra["sex"] == 0, given("M").sample(rng, m, "child"), given("F").sample(rng, m, "child")).astype(np.int32)
    extra["event_minute"] = np.minimum(extra["event_minute"] + rng.integers(2, 25, m), 24 * 60 - 1)
    out = Cols.concat([b, extra])
    out["plurality"][pick] = 2
    out["plurality"][n:] = 2
    elder = np.full(n + m, NONE, dtype=np.int64)
    elder[n:] = pick
    return out, elder


# --------------------------------------------------------------------------- deaths
def child_deaths(rng: np.random.Generator, tl: Timeline, b: Cols, last_day: int) -> Cols:
    """Infant and child (1-4) deaths drawn from the births, linked to them."""
    cfg = cal.settings()["deaths"]
    offs = cal.offices()
    n = len(b)
    year = tl.year[tl.idx(b["event_day"])].astype(float) + 0.5
    q_inf = np.array([cal.infant_mortality(y) for y in np.unique(year)])
    q_child = np.array([cal.child_mortality_1_4(y) for y in np.unique(year)])
    pos = np.searchsorted(np.unique(year), year)
    u = rng.random(n)
    infant = u < q_inf[pos] / 1000
    child = (~infant) & (u < (q_inf[pos] + q_child[pos]) / 1000)
    idx = np.nonzero(infant | child)[0]
    k = len(idx)
    split = choice(rng, k, cfg["infant_age_split"])
    lo = np.array([0, 7, 28])[split]
    hi = np.array([7, 28, 365])[split]
    age_days = np.where(infant[idx], lo + (rng.random(k) * (hi - lo)).astype(int), 365 + rng.integers(0, 4 * 365, k))
    death_day = b["event_day"][idx] + age_days
    keep = death_day <= last_day
    idx, death_day = idx[keep], death_day[keep]
    k = len(idx)
    birth_office = b["office"][idx]
    # most die where they were born; some in the province's main town (hospital)
    hospital = _main_office_of_province()[np.maximum(offs.province[birth_office], 0)]
    moved = (rng.random(k) < 0.15) & (offs.kind[birth_office] != cal.KIND_CONSULAR)
    office = np.where(moved & (offs.live_since[hospital] <= death_day), hospital, birth_office)
    is_consular = offs.kind[office] == cal.KIND_CONSULAR
    place = np.where(is_consular, P_ABROAD, np.where(rng.random(k) < 0.7, P_FACILITY, P_HOME))
    declarant = np.array([D["father"], D["mother"], D["grandfather"], D["relative"]])[choice(rng, k, [0.62, 0.3, 0.04, 0.04])]
    minutes = np.where(rng.random(k) < 0.9, rng.integers(0, 24 * 60, k), NONE)
    age = full_years(b["event_day"][idx], death_day)
    return Cols(
        act_type=np.full(k, DEATH, dtype=np.int8),
        office=office.astype(np.int32),
        event_day=death_day.astype(np.int32),
        event_minute=minutes,
        place=place.astype(np.int8),
        sex=b["sex"][idx],
        name_sex=b["name_sex"][idx],
        given=b["given"][idx],
        family=b["family"][idx],
        tfng=b["tfng"][idx],
        birth_day=b["event_day"][idx],
        age=age.astype(np.int16),
        nationality=b["nationality"][idx],
        nid_prefix=np.full(k, NONE, dtype=np.int16),
        nid_number=np.zeros(k, dtype=np.int32),
        marital=np.full(k, NONE, dtype=np.int8),
        birth_office=birth_office.astype(np.int32),
        src_birth=idx.astype(np.int64),
        plurality=np.ones(k, dtype=np.int8),
        father_given=np.full(k, NONE, dtype=np.int32),
        father_family=np.full(k, NONE, dtype=np.int32),
        mother_given=np.full(k, NONE, dtype=np.int32),
        mother_family=np.full(k, NONE, dtype=np.int32),
        father_age=np.full(k, NONE, dtype=np.int16),
        mother_age=np.full(k, NONE, dtype=np.int16),
        father_nat=np.full(k, NONE, dtype=np.int8),
        mother_nat=np.full(k, NONE, dtype=np.int8),
        declarant=declarant.astype(np.int8),
    )


def _main_office_of_province() -> np.ndarray:
    offs = cal.offices()
    best = np.zeros(len(offs.province_codes), dtype=np.int32)
    pop = np.full(len(offs.province_codes), -1.0)
    for i in range(len(offs)):
        p = offs.province[i]
        if p >= 0 and offs.pop2024[i] > pop[p]:
            pop[p], best[p] = offs.pop2024[i], i
    return best


def pick_offices(rng: np.random.Generator, n: int, within: np.ndarray | None = None, mask: np.ndarray | None = None) -> np.ndarray:
    """Offices drawn proportionally to population, optionally restricted by a boolean mask."""
    offs = cal.offices()
    w = np.where(offs.kind == cal.KIND_CONSULAR, 0.0, offs.pop2024)
    if mask is not None:
        w = np.where(mask, w, 0.0)
    cum = np.cumsum(w)
    return np.minimum(np.searchsorted(cum, rng.random(n) * cum[-1], side="right"), len(w) - 1).astype(np.int32)


def _pick_within(rng: np.random.Generator, groups: np.ndarray, key: np.ndarray) -> np.ndarray:
    """An office per row, population-weighted, among offices whose ``key`` equals the row's group."""
    offs = cal.offices()
    out = np.zeros(len(groups), dtype=np.int32)
    w_all = np.where(offs.kind == cal.KIND_CONSULAR, 0.0, offs.pop2024)
    for g in np.unique(groups):
        rows = groups == g
        w = np.where(key == g, w_all, 0.0)
        if w.sum() <= 0:
            w = w_all
        cum = np.cumsum(w)
        out[rows] = np.minimum(np.searchsorted(cum, rng.random(int(rows.sum())) * cum[-1], side="right"), len(w) - 1)
    return out


def birth_offices(rng: np.random.Generator, office: np.ndarray, split: list[float]) -> np.ndarray:
    """Where people were born, relative to ``office``: same office / same province / same
    region / elsewhere in Morocco (population-weighted). Consular rows draw nationally."""
    offs = cal.offices()
    n = len(office)
    how = choice(rng, n, split)
    consular = offs.kind[office] == cal.KIND_CONSULAR
    how = np.where(consular, 3, how)
    out = office.copy().astype(np.int32)
    prov = how == 1
    out[prov] = _pick_within(rng, offs.province[office[prov]], offs.province)
    reg = how == 2
    out[reg] = _pick_within(rng, offs.region[office[reg]], offs.region)
    far = how == 3
    out[far] = pick_offices(rng, int(far.sum()))
    return out


def adult_deaths(rng: np.random.Generator, tl: Timeline, office: np.ndarray, day: np.ndarray) -> Cols:
    """Deaths at ages 5 and over: sex, age, birth date or declared age, names, CNIE, status."""
    cfg = cal.settings()["deaths"]
    offs = cal.offices()
    n = len(office)
    year = tl.year[tl.idx(day)].astype(int)
    consular = offs.kind[office] == cal.KIND_CONSULAR
    sex = (rng.random(n) >= cal.death_male_share()).astype(np.int8)
    groups = np.asarray(cfg["age_groups"])
    g = np.where(sex == 0, choice(rng, n, cfg["age_shares_male"]), choice(rng, n, cfg["age_shares_female"]))
    width = np.where(g == len(groups) - 1, 10, np.diff(np.append(groups, 105))[g])
    age_true = groups[g] + (rng.random(n) * width).astype(int)
    # exact birth date known, or only a declared age (heaped), falling over time
    years_since = np.maximum(year - 2018, 0)
    p_declared = np.where(age_true >= 65, cfg["declared_age_only_65plus_2018"], cfg["declared_age_only_under65_2018"])
    p_declared = np.maximum(p_declared - cfg["declared_age_only_decline_per_year"] * years_since, 0.0)
    declared = (rng.random(n) < p_declared) & (age_true >= 15)
    birth_day = day - (age_true * 365.25).astype(int) - rng.integers(0, 365, n)
    age_exact = full_years(birth_day, day)
    heap = declared & (rng.random(n) < cfg["heaping_probability"])
    age = np.where(heap, np.rint(age_true / 5) * 5, np.where(declared, age_true, age_exact)).astype(np.int16)
    age = np.minimum(age, rules.plausible("max_age"))

    known = (rng.random(n) < cfg["birth_office_known"]) | consular
    b_office = np.where(known, birth_offices(rng, office, cfg["birth_office_split"]), NONE)
    holder_region = np.where(b_office >= 0, offs.region[np.maximum(b_office, 0)], offs.region[office])
    region_code = np.where(holder_region >= 0, holder_region, ABROAD)
    fam = sample_family(rng, region_code)
    male, female = given("M"), given("F")
    given_idx = np.where(sex == 0, male.sample(rng, n, "adult"), female.sample(rng, n, "adult"))

    has_id = ((age >= 18) & (rng.random(n) < cfg["national_id_share"])) | ((age >= 16) & (age < 18) & (rng.random(n) < 0.3))
    nid_prefix = np.full(n, NONE, dtype=np.int16)
    nid_number = np.zeros(n, dtype=np.int32)
    if has_id.any():
        nid_prefix[has_id], nid_number[has_id] = national_ids(rng, region_code[has_id])

    marital = _marital(rng, age, sex)
    kinds = list(cfg["place_kind"])
    place = np.array([PLACES.index(k) for k in kinds])[choice(rng, n, [cfg["place_kind"][k] for k in kinds])]
    place = np.where(consular, P_ABROAD, place)
    minutes = np.where(rng.random(n) < 0.9, rng.integers(0, 24 * 60, n), NONE)
    declarant = np.array([D["child"], D["spouse"], D["brother"], D["relative"], D["nephew"], D["local_authority"], D["proxy"],
                          D["father"], D["sister"]])[choice(rng, n, [0.45, 0.2, 0.07, 0.1, 0.05, 0.04, 0.03, 0.03, 0.03])]
    # a parent declares only the death of a young adult; older people's deaths are declared by a child
    declarant = np.where(np.isin(declarant, [D["father"]]) & (age >= 40), D["child"], declarant)
    declarant = np.where((place == P_INSTITUTION) & (rng.random(n) < 0.5), D["institution"], declarant)
    return Cols(
        act_type=np.full(n, DEATH, dtype=np.int8),
        office=office.astype(np.int32),
        event_day=day.astype(np.int32),
        event_minute=minutes,
        place=place.astype(np.int8),
        sex=sex,
        name_sex=sex.copy(),
        given=given_idx.astype(np.int32),
        family=fam,
        tfng=np.zeros(n, dtype=bool),
        birth_day=np.where(declared, NONE, birth_day).astype(np.int32),
        age=age,
        nationality=np.where(rng.random(n) < 0.997, NAT["MA"], rng.integers(1, len(FOREIGN) + 1, n)).astype(np.int8),
        nid_prefix=nid_prefix,
        nid_number=nid_number,
        marital=marital,
        birth_office=b_office.astype(np.int32),
        src_birth=np.full(n, NONE, dtype=np.int64),
        plurality=np.ones(n, dtype=np.int8),
        father_given=np.full(n, NONE, dtype=np.int32),
        father_family=np.full(n, NONE, dtype=np.int32),
        mother_given=np.full(n, NONE, dtype=np.int32),
        mother_family=np.full(n, NONE, dtype=np.int32),
        father_age=np.full(n, NONE, dtype=np.int16),
        mother_age=np.full(n, NONE, dtype=np.int16),
        father_nat=np.full(n, NONE, dtype=np.int8),
        mother_nat=np.full(n, NONE, dtype=np.int8),
        declarant=declarant.astype(np.int8),
    )


def _marital(rng: np.random.Generator, age: np.ndarray, sex: np.ndarray) -> np.ndarray:
    n = len(age)
    u = rng.random(n)
    out = np.zeros(n, dtype=np.int8)  # single
    tables = [  # (max age, male probs, female probs) over single/married/divorced/widowed
        (17, [1, 0, 0, 0], [1, 0, 0, 0]),
        (29, [0.6, 0.38, 0.02, 0.0], [0.45, 0.5, 0.04, 0.01]),
        (44, [0.15, 0.79, 0.05, 0.01], [0.12, 0.76, 0.07, 0.05]),
        (64, [0.05, 0.87, 0.04, 0.04], [0.06, 0.65, 0.06, 0.23]),
        (200, [0.03, 0.72, 0.02, 0.23], [0.03, 0.3, 0.02, 0.65]),
    ]
    lo = -1
    for hi, male, female in tables:
        rows = (age > lo) & (age <= hi)
        for s, probs in ((0, male), (1, female)):
            m = rows & (sex == s)
            cum = np.cumsum(probs)
            out[m] = np.minimum(np.searchsorted(cum, u[m], side="right"), 3)
        lo = hi
    return out


# --------------------------------------------------------------------------- registration
@dataclass
class Registration:
    """What the office does with each event (arrays aligned with the events)."""

    has_act: np.ndarray  # bool
    reg_ts: np.ndarray  # int64 UTC seconds (-1: no act)
    judgment: np.ndarray  # bool: registered by declaratory judgment
    judgment_day: np.ndarray  # int32
    judgment_no: np.ndarray  # int32
    from_decl: np.ndarray  # bool: act registered from its declaration
    has_decl: np.ndarray  # bool
    channel: np.ndarray  # int8 0 portal / 1 institution
    decl_deadline: np.ndarray  # int32 day
    submit_ts: np.ndarray  # int64
    review_ts: np.ndarray  # int64 (-1)
    decided_ts: np.ndarray  # int64 (-1): registration, rejection or expiry
    outcome: np.ndarray  # int8 0 registered / 1 rejected / 2 expired
    reject_reason: np.ndarray  # int8


def declaration_deadlines(tl: Timeline, act_type: np.ndarray, consular: np.ndarray, channel: np.ndarray, place: np.ndarray,
                          ix: np.ndarray) -> np.ndarray:
    """Deadline of each declaration, from the API's own rule (``services.declarations.deadline_for``)
    evaluated once per day of the timeline for each combination that occurs."""
    from registry_api.services.declarations import deadline_for

    out = np.zeros(len(ix), dtype=np.int64)
    keys = np.stack([act_type.astype(np.int64), consular.astype(np.int64), channel.astype(np.int64), place.astype(np.int64)], axis=1)
    combos, inverse = np.unique(keys, axis=0, return_inverse=True)
    days = [from_day(tl.base + i) for i in range(len(tl.working))]
    for k, (t, c, ch, p) in enumerate(combos):
        table = np.array([day_number(deadline_for(ACT_TYPES[t], d, consular=bool(c), channel=("portal", "institution")[ch],
                                                  place_kind=PLACES[p])) for d in days], dtype=np.int64)
        rows = inverse.ravel() == k
        out[rows] = table[ix[rows]]
    return out


REJECTION_REASONS = (
    "Certificat médical d'accouchement illisible",
    "Pièces justificatives manquantes",
    "Déclarant non habilité pour cet événement",
    "Informations incohérentes avec le certificat médical",
    "Déclaration en double",
)
OUT_REGISTERED, OUT_REJECTED, OUT_EXPIRED = 0, 1, 2


def register(rng: np.random.Generator, tl: Timeline, ev: Cols) -> Registration:
    """Registration path of each event: on time at the counter or from a preliminary
    declaration, late (31-365 days) or delayed (> 1 year) by declaratory judgment.

    Deadlines come from ``rules.legal_deadline`` through the timeline tables; every
    registration after the legal deadline carries a judgment (``rules.requires_judgment``)."""
    cfg = cal.settings()
    r, dcfg = cfg["registration"], cfg["declarations"]
    offs = cal.offices()
    n = len(ev)
    office, event_day, is_death = ev["office"], ev["event_day"], ev["act_type"] == DEATH
    consular = offs.kind[office] == cal.KIND_CONSULAR
    ix = tl.idx(event_day)
    yearf = tl.year[ix] + (tl.month[ix] - 0.5) / 12
    legal = np.where(
        consular,
        np.where(is_death, tl.deadline["death_abroad"][ix], tl.deadline["birth_abroad"][ix]),
        np.where(is_death, tl.deadline["death"][ix], tl.deadline["birth"][ix]),
    )
    late_p, delayed_p = cal.late_shares(yearf, offs.region_factor[office], is_death)
    late_p = np.where(consular, 0.0, late_p)
    delayed_p = np.where(consular, delayed_p * 1.5, delayed_p)
    u = rng.random(n)
    path = np.where(u < delayed_p, 2, np.where(u < delayed_p + late_p, 1, 0))

    reg_day = np.full(n, NONE, dtype=np.int64)
    # on time at the counter
    median = np.where(consular, r["median_delay_consular"],
                      np.where(is_death, r["median_delay_death"],
                               np.where(ev["place"] == P_FACILITY, r["median_delay_facility"], r["median_delay_home"])))
    delay = np.floor(lognormal_days(rng, n, median, 0.9)).astype(np.int64)
    ontime_day = np.minimum(tl.nwd(event_day + delay), legal)
    late_day = tl.nwd(np.maximum(event_day + 31 + lognormal_days(rng, n, r["late_median_extra"], r["late_sigma"]).astype(np.int64),
                                 legal + 1))
    delayed_day = tl.nwd(np.maximum(event_day + 366 + rng.exponential(r["delayed_mean_extra"], n).astype(np.int64), legal + 1))
    reg_day = np.where(path == 0, ontime_day, np.where(path == 1, late_day, delayed_day))
    has_act = np.ones(n, dtype=bool)

    # preliminary declarations (on-time events only; a declaration can still fail)
    has_decl = (path == 0) & (rng.random(n) < cal.declaration_share(yearf))
    decree = (event_day >= day_number(dt.date.fromisoformat(dcfg["decree_date"])))
    institution = ((ev["place"] == P_FACILITY) & decree & (rng.random(n) < dcfg["institution_share_after_decree"])) | (
        is_death & (ev["place"] == P_INSTITUTION) & (rng.random(n) < 0.8))
    channel = (has_decl & institution).astype(np.int8)
    ddl = declaration_deadlines(tl, ev["act_type"], consular, channel, ev["place"], ix)
    sub_delay = np.where(channel == 1, (rng.random(n) < 0.4).astype(np.int64),
                         np.floor(lognormal_days(rng, n, 1.5, 1.0)).astype(np.int64))
    submit_day = np.minimum(event_day + sub_delay, ddl)
    submit_secs = np.where(channel == 1, any_hours(rng, n, 8, 18), any_hours(rng, n))
    submit_ts = tl.to_utc(submit_day, submit_secs)

    uo = rng.random(n)
    outcome = np.where(uo < dcfg["rejected_share"], OUT_REJECTED,
                       np.where(uo < dcfg["rejected_share"] + dcfg["expired_share"], OUT_EXPIRED, OUT_REGISTERED)).astype(np.int8)
    first_gap = np.where(channel == 1, (rng.random(n) < 0.6).astype(np.int64), 1) + rng.geometric(0.55, n) - 1
    first_day = tl.nwd(submit_day + first_gap)
    reviewed = rng.random(n) < dcfg["review_share"]
    review_ts = np.where(reviewed, tl.to_utc(first_day, office_hours(rng, n)), NONE)
    review_ts = np.where(review_ts >= 0, np.maximum(review_ts, submit_ts + 600), NONE)
    step = rng.geometric(0.5, n) - 1
    decide_day = np.where(reviewed, tl.nwd(first_day + step), first_day)
    decide_ts = np.maximum(tl.to_utc(decide_day, office_hours(rng, n)), np.maximum(review_ts, submit_ts) + 300 + rng.integers(0, 5400, n))
    decide_day = tl.local_day(decide_ts)
    # anything not decided by the deadline expires (the review may still have happened)
    too_late = decide_day > ddl
    outcome = np.where(has_decl & too_late & (outcome != OUT_EXPIRED), OUT_EXPIRED, outcome)
    review_ts = np.where(tl.local_day(np.maximum(review_ts, 0)) > ddl, NONE, review_ts)
    expire_ts = tl.to_utc(ddl + 1, np.full(n, 1 * 3600 + 1800))
    decided_ts = np.where(outcome == OUT_EXPIRED, expire_ts, decide_ts)
    decided_ts = np.where(has_decl, decided_ts, NONE)

    from_decl = has_decl & (outcome == OUT_REGISTERED)
    reg_ts = np.where(from_decl, decide_ts, tl.to_utc(reg_day, office_hours(rng, n)))
    # after a rejection: back at the counter within days, or a judgment later; some give up
    rejected = has_decl & (outcome == OUT_REJECTED)
    again = rng.random(n) < 0.8
    counter_day = tl.nwd(tl.local_day(decide_ts) + 1 + rng.geometric(0.4, n) - 1)
    retry_late = tl.nwd(np.maximum(counter_day, legal + 1 + rng.integers(10, 60, n)))
    retry_day = np.where(counter_day <= legal, counter_day, retry_late)
    reg_ts = np.where(rejected, tl.to_utc(retry_day, office_hours(rng, n)), reg_ts)
    has_act = np.where(rejected, again, has_act)
    # after expiry: most go to court and register late
    expired = has_decl & (outcome == OUT_EXPIRED)
    court_day = tl.nwd(np.maximum(event_day + 31 + lognormal_days(rng, n, r["late_median_extra"], r["late_sigma"]).astype(np.int64),
                                  ddl + 20))
    reg_ts = np.where(expired, tl.to_utc(court_day, office_hours(rng, n)), reg_ts)
    has_act = np.where(expired, rng.random(n) < dcfg["expired_then_judgment"], has_act)
    # an act after a failed declaration is never before the decision
    failed = rejected | expired
    reg_ts = np.where(failed, np.maximum(reg_ts, decided_ts + 3600), reg_ts)

    final_day = tl.local_day(reg_ts)
    judgment = final_day > legal
    jgap = 1 + rng.geometric(0.12, n)
    judgment_day = np.maximum(tl.pwd(final_day - jgap), np.maximum(event_day, np.minimum(legal + 1, final_day)))
    judgment_day = np.minimum(judgment_day, final_day)
    return Registration(
        has_act=has_act,
        reg_ts=np.where(has_act, reg_ts, NONE),
        judgment=judgment & has_act,
        judgment_day=judgment_day.astype(np.int32),
        judgment_no=rng.integers(1, 4999, n).astype(np.int32),
        from_decl=from_decl,
        has_decl=has_decl,
        channel=channel,
        decl_deadline=ddl.astype(np.int32),
        submit_ts=np.where(has_decl, submit_ts, NONE),
        review_ts=np.where(has_decl, review_ts, NONE),
        decided_ts=decided_ts,
        outcome=outcome,
        reject_reason=rng.integers(0, len(REJECTION_REASONS), n).astype(np.int8),
    )
