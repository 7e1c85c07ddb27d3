"""Generate a whole history of registry activity as compact column frames (no database).

The history is what the API would have produced had every step been posted live: acts and
their later changes, preliminary declarations, document requests, court family events and
notifications between offices, each step with its simulated time. ``simulator.bulk`` writes it
into the registry; the after-images are built from the stored rows (see ``simulator.store``).

Cut-off: everything is generated as a full life cycle, then cut at the end of the history;
an entity whose first step is after the cut-off does not exist, and one whose later steps are
after it keeps the state of its last step before (pending declarations, unread notifications).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from simulator import calibration as cal
from simulator import events as E
from simulator.rows import tracking_numbers
from simulator.timeline import DAY, Timeline, build, day_number, from_day

NONE = E.NONE
# change priorities inside one transaction (same timestamp): the act first, then what follows
PRIO_ACT, PRIO_FOLLOW, PRIO_DECLARATION = 0, 1, 2
CORRECTABLE = ("given_variant", "family_variant", "sex", "event_minute", "mother_age")


@dataclass
class Config:
    years: float
    scale: float
    seed: int
    end_date: dt.date
    cutoff_ts: int  # UTC epoch seconds: nothing at or after this instant exists

    @property
    def start_date(self) -> dt.date:
        whole = int(self.years)
        start = _minus_years(self.end_date, whole)
        return start - dt.timedelta(days=round((self.years - whole) * 365.25))


def _minus_years(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)


def default_cutoff(end_date: dt.date, now: dt.datetime | None = None) -> int:
    """The end of ``end_date`` in local time, or now if that is earlier (history ends today)."""
    tl_end = dt.datetime.combine(end_date + dt.timedelta(days=1), dt.time(0), tzinfo=_local_tz())
    now = now or dt.datetime.now(dt.UTC)
    return int(min(tl_end.timestamp(), now.timestamp()))


def _local_tz():  # type: ignore[no-untyped-def]
    from simulator.timeline import LOCAL_TZ

    return LOCAL_TZ


@dataclass
class History:
    config: Config
    timeline: Timeline
    acts: pl.DataFrame
    act_changes: pl.DataFrame
    notes: pl.DataFrame
    declarations: pl.DataFrame
    declaration_changes: pl.DataFrame
    requests: pl.DataFrame
    request_changes: pl.DataFrame
    family_events: pl.DataFrame
    notifications: pl.DataFrame
    notification_changes: pl.DataFrame
    counters: pl.DataFrame
    stats: dict[str, Any] = field(default_factory=dict)


def _rng(seed: int, stream: int) -> np.random.Generator:
    """One independent stream per component, so changing one does not shift the others."""
    return np.random.default_rng([seed, stream])


def generate(cfg: Config) -> History:
    offs = cal.offices()
    start = cfg.start_date
    first_live = int(offs.live_since.min())
    first_day = max(day_number(start), first_live)
    last_day = day_number(cfg.end_date)
    tl = build(from_day(first_day - 1), cfg.end_date + dt.timedelta(days=400))
    years = range(from_day(first_day).year, cfg.end_date.year + 1)

    # ---------------------------------------------------------------- events
    b_office, b_day = E.daily_counts(_rng(cfg.seed, 1), tl, first_day, last_day, cal.birth_rate_table(years), years,
                                     cal.settings()["births"]["month_factor"], cfg.scale,
                                     cal.settings()["births"]["weekend_factor"])
    births = E.births(_rng(cfg.seed, 2), tl, b_office, b_day)
    births, elder = E.twins(_rng(cfg.seed, 3), births)
    d_office, d_day = E.daily_counts(_rng(cfg.seed, 4), tl, first_day, last_day, cal.death_rate_table(years), years,
                                     cal.settings()["deaths"]["month_factor"], cfg.scale)
    adults = E.adult_deaths(_rng(cfg.seed, 5), tl, d_office, d_day)
    children = E.child_deaths(_rng(cfg.seed, 6), tl, births, last_day)
    nb = len(births)
    ev = E.Cols.concat([births, children, adults])
    ev["elder"] = np.concatenate([elder, np.full(len(children) + len(adults), NONE, dtype=np.int64)])
    reg = E.register(_rng(cfg.seed, 7), tl, ev)
    # twins are registered together, right after the elder, at the counter
    tw = np.nonzero(ev["elder"] >= 0)[0]
    el = ev["elder"][tw]
    reg.has_act[tw] = reg.has_act[el]
    reg.reg_ts[tw] = np.where(reg.has_act[el], reg.reg_ts[el] + 60, NONE)
    reg.judgment[tw] = reg.judgment[el]
    reg.judgment_day[tw] = reg.judgment_day[el]
    reg.judgment_no[tw] = reg.judgment_no[el]
    reg.has_decl[tw] = False
    reg.from_decl[tw] = False

    # ---------------------------------------------------------------- acts
    exists = reg.has_act & (reg.reg_ts >= 0) & (reg.reg_ts < cfg.cutoff_ts)
    ev_idx = np.nonzero(exists)[0]
    order = np.lexsort((ev_idx, reg.reg_ts[ev_idx]))
    ev_idx = ev_idx[order]
    n_acts = len(ev_idx)
    act_of_event = np.full(len(ev), NONE, dtype=np.int64)
    act_of_event[ev_idx] = np.arange(1, n_acts + 1)
    A = ev.take(ev_idx)
    A["act_id"] = np.arange(1, n_acts + 1, dtype=np.int64)
    A["reg_ts"] = reg.reg_ts[ev_idx]
    A["reg_day"] = tl.local_day(A["reg_ts"]).astype(np.int32)
    A["register_year"] = tl.year[tl.idx(A["reg_day"])].astype(np.int16)
    A["judgment"] = reg.judgment[ev_idx]
    A["judgment_day"] = np.where(A["judgment"], reg.judgment_day[ev_idx], NONE).astype(np.int32)
    A["judgment_no"] = reg.judgment_no[ev_idx]
    A["event_index"] = ev_idx
    # the child's birth act, when it was registered before the death
    src = A["src_birth"]
    birth_act = np.where(src >= 0, act_of_event[np.maximum(src, 0)], NONE)
    birth_ts = np.where(birth_act > 0, reg.reg_ts[np.maximum(src, 0)], NONE)
    A["birth_act_id"] = np.where((birth_act > 0) & (birth_ts < A["reg_ts"]), birth_act, NONE)
    A["act_number"] = _numbering(A)

    # ---------------------------------------------------------------- declarations
    decl_ev = np.nonzero(reg.has_decl & (reg.submit_ts >= 0) & (reg.submit_ts < cfg.cutoff_ts))[0]
    decl_ev = decl_ev[np.lexsort((decl_ev, reg.submit_ts[decl_ev]))]
    decl_id_of_event = np.full(len(ev), NONE, dtype=np.int64)
    decl_id_of_event[decl_ev] = np.arange(1, len(decl_ev) + 1)
    A["declaration_id"] = np.where(reg.from_decl[ev_idx], decl_id_of_event[ev_idx], NONE)
    declarations, declaration_changes = _declarations(cfg, tl, ev, reg, decl_ev, act_of_event)
    declarations = declarations.hstack(_event_frame(ev.take(decl_ev), DECLARATION_EVENT_COLUMNS))
    del ev, reg, births, children, adults, act_of_event, decl_id_of_event  # the largest arrays: free them early

    # ---------------------------------------------------------------- later changes of acts
    rng = _rng(cfg.seed, 8)
    has_child_death = np.zeros(n_acts, dtype=bool)
    linked = A["birth_act_id"][A["birth_act_id"] > 0]
    has_child_death[linked - 1] = True
    corr, cancels = _corrections(rng, tl, cfg, A, has_child_death)

    # deaths: a note on the birth act held in the same office, or a notification to the birth office
    follow = _death_follow_up(A)
    family_events, fam_notifications = _family(cfg, tl, _rng(cfg.seed, 9))
    notif = _notifications(cfg, tl, _rng(cfg.seed, 10), A, follow, fam_notifications)

    note_events = _note_events(A, follow, notif, corr)
    act_changes, notes, acts_final = _act_versions(A, corr, cancels, note_events)
    del A, note_events
    acts_final = acts_final.drop("event_index", "src_birth", "elder")
    requests, request_changes = _documents(cfg, tl, _rng(cfg.seed, 11), acts_final)
    notifications, notification_changes = _notification_frames(notif, notes)

    counters = (
        acts_final.group_by(["office", "register_year", "act_type"]).agg(pl.col("act_number").max().alias("last_number"))
        .sort(["office", "register_year", "act_type"])
    )
    stats = {
        "births_events": nb, "acts": n_acts, "declarations": declarations.height, "document_requests": requests.height,
        "family_events": family_events.height, "notifications": notifications.height, "marginal_notes": notes.height,
        "act_changes": act_changes.height,
    }
    return History(cfg, tl, acts_final, act_changes, notes, declarations, declaration_changes, requests, request_changes,
                   family_events, notifications, notification_changes, counters, stats)


DECLARATION_EVENT_COLUMNS = (
    "act_type", "office", "event_day", "place", "sex", "name_sex", "given", "family", "age", "father_given", "father_family",
    "mother_given", "mother_family", "declarant",
)


def _series(name: str, values: np.ndarray) -> pl.Series:
    """Object arrays (strings with None) become String series; the rest keep their dtype."""
    if values.dtype == object:
        return pl.Series(name, values.tolist(), dtype=pl.String)
    return pl.Series(name, values)


def _event_frame(ev: E.Cols, columns: tuple[str, ...]) -> pl.DataFrame:
    return pl.DataFrame({c: ev[c] for c in columns})


def _numbering(A: E.Cols) -> np.ndarray:
    """Act numbers 1..n per (office, register year, register) in registration order (acts are
    already sorted by registration time, i.e. by act_id). The rule is services/numbering.py's:
    consecutive, no hole, no duplicate; bulk loading then sets the counters to the maxima."""
    df = pl.DataFrame({"office": A["office"], "year": A["register_year"], "type": A["act_type"]})
    return df.select(pl.int_range(1, pl.len() + 1).over(["office", "year", "type"]).alias("n"))["n"].to_numpy().astype(np.int32)


# ------------------------------------------------------------------------------ declarations
def _declarations(cfg: Config, tl: Timeline, ev: E.Cols, reg: E.Registration, decl_ev: np.ndarray,
                  act_of_event: np.ndarray) -> tuple[pl.DataFrame, pl.DataFrame]:
    n = len(decl_ev)
    ids = np.arange(1, n + 1, dtype=np.int64)
    submit = reg.submit_ts[decl_ev]
    review = reg.review_ts[decl_ev]
    decided = reg.decided_ts[decl_ev]
    outcome = reg.outcome[decl_ev]
    act_id = act_of_event[decl_ev]
    rng = _rng(cfg.seed, 12)
    decl = pl.DataFrame({
        "declaration_id": ids,
        "event_index": decl_ev,
        "channel": reg.channel[decl_ev],
        "deadline_day": reg.decl_deadline[decl_ev],
        "submit_ts": submit,
        "locale_ar": rng.random(n) < 0.55,
        "has_email": rng.random(n) < 0.45,
        "phone_seed": rng.integers(0, 2**31, n),
        "tracking_seed": rng.integers(0, 2**62, n, dtype=np.int64),
        "reject_reason": reg.reject_reason[decl_ev],
    })
    steps = []

    def add(mask: np.ndarray, ts: np.ndarray, kind: str, status: str, prio: int) -> None:
        m = mask & (ts >= 0) & (ts < cfg.cutoff_ts)
        steps.append(pl.DataFrame({
            "declaration_id": ids[m], "ts": ts[m], "kind": kind, "status": status, "prio": np.full(int(m.sum()), prio, dtype=np.int8),
        }))

    every = np.ones(n, dtype=bool)
    add(every, submit, "submit", "submitted", PRIO_DECLARATION)
    add(review >= 0, review, "review", "under_review", PRIO_DECLARATION)
    registered = (outcome == E.OUT_REGISTERED) & (act_id > 0)
    add(registered, decided, "register", "registered", PRIO_DECLARATION)
    add(outcome == E.OUT_REJECTED, decided, "reject", "rejected", PRIO_DECLARATION)
    add(outcome == E.OUT_EXPIRED, decided, "expire", "expired", PRIO_DECLARATION)
    ch = pl.concat(steps).sort(["declaration_id", "ts", "prio"])
    ch = ch.with_columns(version=pl.int_range(1, pl.len() + 1).over("declaration_id").cast(pl.Int32))
    # state after each step: review_started_at is kept from the review, or set at registration
    ch = ch.join(pl.DataFrame({"declaration_id": ids, "review_ts": review, "act_id": act_id, "deadline_day": reg.decl_deadline[decl_ev]}),
                 on="declaration_id", how="left")
    ch = ch.with_columns(
        review_started_ts=pl.when(pl.col("kind") == "submit").then(None)
        .when(pl.col("review_ts") >= 0).then(pl.col("review_ts"))
        .when(pl.col("kind") == "register").then(pl.col("ts")).otherwise(None),
        decided_ts=pl.when(pl.col("kind").is_in(["register", "reject", "expire"])).then(pl.col("ts")).otherwise(None),
        state_act_id=pl.when(pl.col("kind") == "register").then(pl.col("act_id")).otherwise(None),
        reason=pl.when(pl.col("kind") == "expire")
        .then(pl.format("deadline {} passed", pl.col("deadline_day").cast(pl.Date).cast(pl.String)))
        .otherwise(None),
    ).drop("review_ts", "act_id", "deadline_day")
    final = ch.group_by("declaration_id").agg(pl.all().sort_by("version").last()).sort("declaration_id")
    decl = decl.join(final.select(
        "declaration_id", pl.col("status"), pl.col("version"), pl.col("review_started_ts"), pl.col("decided_ts"),
        pl.col("state_act_id").alias("act_id"), pl.col("kind").alias("last_kind"),
    ), on="declaration_id", how="left", maintain_order="left")
    # tracking numbers are drawn once for the whole load (unique across it)
    decl = decl.with_columns(tracking_number=tracking_numbers(ev["act_type"][decl_ev], decl["tracking_seed"].to_numpy()))
    return decl, ch


# ------------------------------------------------------------------------------ corrections
CORRECTION_REASONS = {
    "given_variant": "Orthographe du prénom rectifiée",
    "family_variant": "Orthographe du nom de famille rectifiée",
    "sex": "Mention du sexe rectifiée",
    "event_minute": "Heure de l'événement rectifiée",
    "mother_age": "Âge de la mère rectifié",
}


def _corrections(rng: np.random.Generator, tl: Timeline, cfg: Config, A: E.Cols, has_child_death: np.ndarray) -> tuple[pl.DataFrame, pl.DataFrame]:
    """About 1.5% of acts are corrected: clerical amendments soon after registration, and
    corrections by court judgment or administrative decision later (court ones also get a
    rectification note). A very few duplicate birth acts are cancelled."""
    c = cal.settings()["corrections"]
    offs = cal.offices()
    n = len(A["act_id"])
    is_birth = A["act_type"] == E.BIRTH
    cancel = is_birth & ~has_child_death & (rng.random(n) < c["cancel_share"])
    corrected = ~cancel & (rng.random(n) < c["share"])
    idx = np.nonzero(corrected)[0]
    k = len(idx)
    amend = rng.random(k) < c["amend_share"]
    court = ~amend & (rng.random(k) < c["court_share"])
    lag = np.where(amend, E.lognormal_days(rng, k, 10, 0.8), E.lognormal_days(rng, k, c["median_lag_days"], 1.0))
    day = tl.nwd(tl.local_day(A["reg_ts"][idx]) + 1 + lag.astype(np.int64))
    ts = np.maximum(tl.to_utc(day, E.office_hours(rng, k)), A["reg_ts"][idx] + 600)
    birth = is_birth[idx]
    u = rng.random(k)
    # which field: amendments fix small things; corrections fix names (and, by judgment, sex)
    fld = np.where(amend, np.where(birth, np.array(["event_minute", "mother_age", "given_variant"])[E.choice(rng, k, [0.4, 0.3, 0.3])],
                                   np.where(u < 0.5, "event_minute", "given_variant")),
                   np.where(u < 0.5, "given_variant", np.where(u < 0.8, "family_variant",
                            np.where(court & (u < 0.9), "sex", np.where(birth, "mother_age", "given_variant")))))
    fld = np.where((fld == "mother_age") & (A["mother_age"][idx] < 0), "given_variant", fld)
    fld = np.where((fld == "event_minute") & (A["event_minute"][idx] < 0), "given_variant", fld)
    prov = offs.province[A["office"][idx]]
    city = pl.Series("city", offs.province_names + ["Rabat"]).gather(np.where(prov >= 0, prov, len(offs.province_names)))
    no = rng.integers(1, 9999, k)
    year = tl.year[tl.idx(day)]
    new_minute = np.where(fld == "event_minute", rng.integers(0, 24 * 60, k), NONE)
    new_mother = np.where(fld == "mother_age", np.clip(A["mother_age"][idx] + np.where(rng.random(k) < 0.5, -1, 1), 13, 59), NONE)
    ref = pl.format("n° {}/{}", pl.col("no"), pl.col("year"))
    corr = pl.DataFrame({
        "act_id": A["act_id"][idx], "ts": ts, "kind": np.where(amend, "amend", "correct"), "court": court, "field": fld,
        "new_sex": np.where(fld == "sex", 1 - A["sex"][idx], NONE).astype(np.int8),
        "new_minute": new_minute.astype(np.int16), "new_mother_age": new_mother.astype(np.int16),
        "no": no, "year": year.astype(np.int32),
    }).with_columns(city).with_columns(
        reason=pl.col("field").replace_strict(CORRECTION_REASONS, return_dtype=pl.String),
        legal_basis=pl.when(pl.col("kind") == "amend").then(None)
        .when(pl.col("court")).then(pl.format("Jugement TPI {} {}", pl.col("city"), ref))
        # the warehouse reads "Jugement"/"Tribunal"/"TPI" as a court judgment: keep them out of
        # administrative decisions
        .otherwise(pl.format("Décision du procureur du Roi {} ({})", ref, pl.col("city"))),
        judgment_text=pl.format("Rectification ordonnée par jugement {} du Tribunal de première instance de {}", ref, pl.col("city")),
    ).drop("no", "year", "city")
    corr = corr.filter(pl.col("ts") < cfg.cutoff_ts)

    cidx = np.nonzero(cancel)[0]
    m = len(cidx)
    cday = tl.nwd(tl.local_day(A["reg_ts"][cidx]) + 1 + E.lognormal_days(rng, m, 30, 0.8).astype(np.int64))
    cts = np.maximum(tl.to_utc(cday, E.office_hours(rng, m)), A["reg_ts"][cidx] + 600)
    cancels = pl.DataFrame({
        "act_id": A["act_id"][cidx], "ts": cts, "no": rng.integers(1, 9999, m), "year": tl.year[tl.idx(cday)].astype(np.int32),
    }).select(
        "act_id", "ts", pl.lit("Acte établi en double (doublon)").alias("reason"),
        pl.format("Décision du procureur du Roi n° {}/{}", pl.col("no"), pl.col("year")).alias("legal_basis"),
    ).filter(pl.col("ts") < cfg.cutoff_ts)
    return corr, cancels


# ------------------------------------------------------------------------------ deaths -> birth acts
def _death_follow_up(A: E.Cols) -> pl.DataFrame:
    """What ``services.acts._death_follow_up`` does when a death act is registered: a death note
    on the birth act if this office holds it, else a notification to the birth office."""
    death = (A["act_type"] == E.DEATH) & (A["birth_office"] >= 0)
    idx = np.nonzero(death)[0]
    same = A["birth_office"][idx] == A["office"][idx]
    birth_act = A["birth_act_id"][idx]
    direct = same & (birth_act > 0)
    notify = ~same
    offs = cal.offices()
    text = pl.format(
        "Décédé(e) le {} — acte de décès n° {}/{}, bureau {}",
        pl.col("event_day").cast(pl.Date).cast(pl.String), pl.col("act_number"), pl.col("register_year"), pl.col("office_code"),
    )
    df = pl.DataFrame({
        "source_act_id": A["act_id"][idx], "ts": A["reg_ts"][idx], "event_day": A["event_day"][idx],
        "act_number": A["act_number"][idx], "register_year": A["register_year"][idx],
        "office": A["office"][idx],
        "to_office": A["birth_office"][idx], "target_act_id": birth_act.astype(np.int64),
        "direct": direct, "notify": notify,
    })
    df = df.with_columns(office_code=pl.Series(offs.code).gather(df["office"]))
    df = df.with_columns(target_act_id=pl.when(pl.col("target_act_id") > 0).then(pl.col("target_act_id")))
    return df.with_columns(note_text=text).filter(pl.col("direct") | pl.col("notify"))


# ------------------------------------------------------------------------------ family events
def _family(cfg: Config, tl: Timeline, rng: np.random.Generator) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Marriages and divorces recorded by the courts' family sections (not acts), per province
    in proportion to population, with summer peaks and a Ramadan trough for marriages; only
    provinces whose offices are live record them electronically."""
    f = cal.settings()["family"]
    offs = cal.offices()
    n_prov = len(offs.province_codes)
    prov_pop = np.zeros(n_prov)
    prov_live = np.full(n_prov, np.iinfo(np.int32).max)
    for i in range(len(offs)):
        p = offs.province[i]
        if p >= 0:
            prov_pop[p] += offs.pop2024[i]
            prov_live[p] = min(prov_live[p], offs.live_since[i])
    share = prov_pop / prov_pop.sum()
    first = max(day_number(cfg.start_date), int(prov_live.min()))
    last = day_number(cfg.end_date)
    days = np.arange(first, last + 1, dtype=np.int32)
    ix = tl.idx(days)
    mf = np.asarray(f["month_factor"])[tl.month[ix] - 1] * np.where(tl.ramadan[ix], f["ramadan_factor"], 1.0)
    parts = []
    for kind, series, weights in (("marriage", cal.marriages_per_year(), mf), ("divorce", cal.divorces_per_year(), np.ones(len(days)))):
        lam_day = np.zeros(len(days))
        for year in np.unique(tl.year[ix]):
            in_year = tl.year[ix] == year
            year_days = 366 if (year % 4 == 0) else 365
            norm = weights[in_year].sum() / in_year.sum() if in_year.any() else 1.0
            lam_day[in_year] = cal.interpolate(series, float(year) + 0.5) / year_days * weights[in_year] / norm
        lam = share[:, None] * lam_day[None, :] * cfg.scale
        lam[days[None, :] < prov_live[:, None]] = 0
        counts = rng.poisson(lam)
        p, d = np.nonzero(counts)
        reps = counts[p, d]
        parts.append((kind, np.repeat(p, reps), np.repeat(days[d], reps)))
    rows = []
    for kind, prov, day in parts:
        k = len(prov)
        year = tl.year[tl.idx(day)].astype(float) + 0.5
        if kind == "marriage":
            smam_f = _smam_vector(prov, year, "female")
            minor = rng.random(k) < np.array([cal.minors_share(y) for y in np.unique(year)])[np.searchsorted(np.unique(year), year)]
            wife = np.where(minor, rng.integers(16, 18, k) - (rng.random(k) < 0.1),
                            18 + rng.gamma(2.2, np.maximum(smam_f + f["remarriage_extra_years"] - 18, 1) / 2.2, k)).astype(int)
            husband = np.maximum(wife + np.rint(rng.normal(f["husband_gap_mean"], f["husband_gap_sd"], k)).astype(int), 18)
            dkind = np.full(k, None, dtype=object)
        else:
            wife = np.clip(rng.normal(f["divorce_wife_mean_age"], 8, k), 18, 80).astype(int)
            husband = np.clip(wife + np.rint(rng.normal(6, 5, k)).astype(int), 19, 95)
            kinds = list(f["divorce_kinds"])
            dkind = np.array(kinds, dtype=object)[E.choice(rng, k, [f["divorce_kinds"][x] for x in kinds])]
        wife = np.clip(wife, 15, 90)
        husband = np.clip(husband, 18, 99)
        lag = E.lognormal_days(rng, k, f["record_lag_median_days"], 0.8).astype(np.int64)
        rec_day = tl.nwd(day + 1 + lag)
        rec_ts = tl.to_utc(rec_day, E.office_hours(rng, k))
        rows.append(pl.DataFrame({
            "event_type": np.full(k, kind, dtype=object), "event_day": day, "province": prov.astype(np.int16),
            "divorce_kind": dkind, "husband_age": husband.astype(np.int16), "wife_age": wife.astype(np.int16),
            "recorded_ts": rec_ts,
            "husband_office": _spouse_office(rng, prov, f["birth_office_split"]),
            "wife_office": _spouse_office(rng, prov, f["birth_office_split"]),
        }, schema_overrides={"event_type": pl.String, "divorce_kind": pl.String}))
    fe = pl.concat(rows).filter(pl.col("recorded_ts") < cfg.cutoff_ts)
    fe = fe.sort(["recorded_ts", "event_day", "province"]).with_columns(family_event_id=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))
    fe = fe.with_columns(
        seq=pl.int_range(1, pl.len() + 1, dtype=pl.Int32).over(["event_type", pl.col("event_day").cast(pl.Date).dt.year()]),
    )
    # one notification per spouse with a known birth office (services.notifications.record_family_event);
    # their texts are built when written (rows.notifications), from the family event
    notes = []
    for who in ("husband", "wife"):
        notes.append(fe.filter(pl.col(f"{who}_office") >= 0).select(
            pl.col("family_event_id"), pl.col("recorded_ts").alias("ts"), pl.col(f"{who}_office").alias("to_office"),
            pl.col("event_type"), pl.lit(0 if who == "husband" else 1, dtype=pl.Int8).alias("spouse"),
        ))
    return fe, pl.concat(notes).sort(["family_event_id", "spouse"])


def _smam_vector(prov: np.ndarray, year: np.ndarray, sex: str) -> np.ndarray:
    offs = cal.offices()
    out = np.zeros(len(prov))
    keys = np.unique(np.stack([prov, year]), axis=1)
    for p, y in keys.T:
        m = (prov == p) & (year == y)
        out[m] = cal.smam(offs.region_codes[int(offs.province_region[int(p)])], sex, float(y))
    return out


def _spouse_office(rng: np.random.Generator, prov: np.ndarray, split: list[float]) -> np.ndarray:
    offs = cal.offices()
    k = len(prov)
    how = E.choice(rng, k, split)
    out = np.full(k, NONE, dtype=np.int32)
    same = how == 0
    out[same] = E._pick_within(rng, prov[same], offs.province)
    reg = how == 1
    out[reg] = E._pick_within(rng, offs.province_region[prov[reg]], offs.region)
    far = how == 2
    out[far] = E.pick_offices(rng, int(far.sum()))
    abroad = how == 3
    consulates = np.nonzero(offs.kind == cal.KIND_CONSULAR)[0]
    out[abroad] = consulates[rng.integers(0, len(consulates), int(abroad.sum()))]
    return out


# ------------------------------------------------------------------------------ notifications
def _notifications(cfg: Config, tl: Timeline, rng: np.random.Generator, A: E.Cols, follow: pl.DataFrame,
                   fam: pl.DataFrame) -> pl.DataFrame:
    """Notifications from death offices and from courts, received and applied by the birth
    office with realistic lags; an office that is not live yet receives them when it goes live."""
    f = cal.settings()["family"]
    offs = cal.offices()
    deaths = follow.filter(pl.col("notify")).select(
        pl.lit("death").alias("event_type"), pl.lit("office").alias("source_kind"),
        pl.col("office").cast(pl.Int32).alias("from_office"), pl.col("to_office").cast(pl.Int32), pl.col("target_act_id"),
        pl.col("source_act_id").cast(pl.Int64), pl.lit(None, dtype=pl.Int64).alias("family_event_id"),
        pl.lit(None, dtype=pl.Int8).alias("spouse"), pl.col("ts"),
    )
    courts = fam.select(
        pl.col("event_type"), pl.lit("court").alias("source_kind"), pl.lit(None, dtype=pl.Int32).alias("from_office"),
        pl.col("to_office").cast(pl.Int32), pl.lit(None, dtype=pl.Int64).alias("target_act_id"),
        pl.lit(None, dtype=pl.Int64).alias("source_act_id"), pl.col("family_event_id"), pl.col("spouse"), pl.col("ts"),
    )
    nt = pl.concat([deaths, courts]).with_columns(
        prio=pl.when(pl.col("source_kind") == "court").then(1).otherwise(PRIO_FOLLOW).cast(pl.Int8),
    ).sort(["ts", "prio", "family_event_id", "source_act_id"], nulls_last=True)
    nt = nt.with_columns(notification_id=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))
    n = nt.height
    created = nt["ts"].to_numpy()
    to_office = nt["to_office"].to_numpy()
    live_ts = tl.to_utc(offs.live_since[to_office], np.full(n, 8 * 3600 + 1800))
    start = np.maximum(created, live_ts)
    recv = start + (E.lognormal_days(rng, n, f["receive_median_hours"], 1.0) * 3600).astype(np.int64)
    recv_day = tl.nwd(tl.local_day(recv))
    recv_ts = np.maximum(tl.to_utc(recv_day, E.office_hours(rng, n)), start + 60)
    appl = recv_ts + (E.lognormal_days(rng, n, f["apply_median_hours"], 1.0) * 3600).astype(np.int64)
    appl_day = tl.nwd(tl.local_day(appl))
    appl_ts = np.maximum(tl.to_utc(appl_day, E.office_hours(rng, n)), recv_ts + 120)
    cut = cfg.cutoff_ts
    return nt.with_columns(
        received_ts=pl.Series(np.where(recv_ts < cut, recv_ts, NONE)),
        applied_ts=pl.Series(np.where(appl_ts < cut, appl_ts, NONE)),
    )


def _note_events(A: E.Cols, follow: pl.DataFrame, notif: pl.DataFrame, corr: pl.DataFrame) -> pl.DataFrame:
    """Every marginal note, in the order it is written: death notes written directly, notes
    applied from notifications that target an electronic birth act, court rectifications."""
    direct = follow.filter(pl.col("direct")).select(
        pl.col("target_act_id").alias("act_id"), pl.col("ts"), pl.lit(PRIO_FOLLOW, dtype=pl.Int8).alias("prio"),
        pl.lit("death").alias("note_kind"), pl.col("note_text"), pl.lit(None, dtype=pl.String).alias("legal_basis"),
        pl.lit(None, dtype=pl.Int64).alias("family_event_id"), pl.lit(None, dtype=pl.Int64).alias("notification_id"),
        pl.lit("Mention de décès").alias("reason"),
    )
    # only death notifications target an electronic birth act (spouses were born before the
    # registry); their text is the death follow-up's, their legal basis none (from an office)
    applied = notif.filter((pl.col("applied_ts") >= 0) & pl.col("target_act_id").is_not_null()).join(
        follow.select("source_act_id", "note_text"), on="source_act_id", how="left").select(
        pl.col("target_act_id").alias("act_id"), pl.col("applied_ts").alias("ts"), pl.lit(PRIO_ACT, dtype=pl.Int8).alias("prio"),
        pl.col("event_type").alias("note_kind"), pl.col("note_text"), pl.lit(None, dtype=pl.String).alias("legal_basis"),
        pl.col("family_event_id"), pl.col("notification_id"), pl.lit("Notification").alias("reason"),
    )
    rect = corr.filter(pl.col("court")).select(
        pl.col("act_id"), (pl.col("ts") + 180).alias("ts"), pl.lit(PRIO_ACT, dtype=pl.Int8).alias("prio"),
        pl.lit("rectification").alias("note_kind"), (pl.col("judgment_text") + ": " + pl.col("reason")).alias("note_text"),
        pl.col("legal_basis"), pl.lit(None, dtype=pl.Int64).alias("family_event_id"),
        pl.lit(None, dtype=pl.Int64).alias("notification_id"), pl.lit("Mention de rectification").alias("reason"),
    )
    notes = pl.concat([direct, applied, rect]).sort(["ts", "prio", "act_id"])
    return notes.with_columns(note_id=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))


# ------------------------------------------------------------------------------ act versions
def _act_versions(A: E.Cols, corr: pl.DataFrame, cancels: pl.DataFrame, notes: pl.DataFrame
                  ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Every change of every act, with the act's state after it, and the final rows.

    Most acts have one version (their creation); per-version state is only computed for the
    few that were corrected, annotated or cancelled. In ``act_changes`` the override columns
    are null for single-version acts, whose final row is their only image."""
    base = pl.DataFrame([_series(k, v) for k, v in A.items()])
    # the values as registered (corrections override them version by version)
    base = base.with_columns(sex_base=pl.col("sex"), minute_base=pl.col("event_minute"), mother_age_base=pl.col("mother_age"))
    later = pl.concat([
        corr.select("act_id", "ts", pl.lit(PRIO_ACT, dtype=pl.Int8).alias("prio"), "kind", "reason", "legal_basis",
                    "new_sex", "new_minute", "new_mother_age", "field"),
        notes.select("act_id", "ts", "prio", pl.lit("marginal_note").alias("kind"), "reason", "legal_basis", "note_id"),
        cancels.select("act_id", "ts", pl.lit(PRIO_ACT, dtype=pl.Int8).alias("prio"), pl.lit("cancel").alias("kind"),
                       "reason", "legal_basis"),
    ], how="diagonal_relaxed").cast({"reason": pl.String, "legal_basis": pl.String})
    changed = later["act_id"].unique()
    firsts = base.filter(pl.col("act_id").is_in(changed.implode())).select(
        "act_id", pl.col("reg_ts").alias("ts"), pl.lit(PRIO_ACT, dtype=pl.Int8).alias("prio"), pl.lit("create").alias("kind"))
    multi = pl.concat([firsts, later], how="diagonal_relaxed").sort(["act_id", "ts", "prio"]).with_columns(
        version=pl.int_range(1, pl.len() + 1).over("act_id").cast(pl.Int32),
        n_versions=pl.len().over("act_id").cast(pl.Int32),
    )
    multi = multi.with_columns(
        given_variant=pl.when(pl.col("field") == "given_variant").then(True),
        family_variant=pl.when(pl.col("field") == "family_variant").then(True),
        sex_override=pl.when(pl.col("new_sex") >= 0).then(pl.col("new_sex")),
        minute_override=pl.when(pl.col("new_minute") >= 0).then(pl.col("new_minute")),
        mother_override=pl.when(pl.col("new_mother_age") >= 0).then(pl.col("new_mother_age")),
        cancelled=pl.when(pl.col("kind") == "cancel").then(True),
        cancel_reason=pl.when(pl.col("kind") == "cancel").then(pl.col("reason")),
    ).with_columns(
        pl.col("given_variant", "family_variant", "sex_override", "minute_override", "mother_override", "cancelled",
               "cancel_reason").forward_fill().over("act_id"),
    ).drop("new_sex", "new_minute", "new_mother_age", "field")
    last = multi.filter(pl.col("version") == pl.col("n_versions")).select(
        "act_id", "version", pl.col("ts").alias("updated_ts"), "given_variant", "family_variant", "sex_override",
        "minute_override", "mother_override", "cancelled", "cancel_reason",
    )
    final = base.join(last, on="act_id", how="left", maintain_order="left").with_columns(
        version=pl.col("version").fill_null(1),
        updated_ts=pl.col("updated_ts").fill_null(pl.col("reg_ts")),
        given_variant=pl.col("given_variant").fill_null(False),
        family_variant=pl.col("family_variant").fill_null(False),
        sex=pl.coalesce("sex_override", "sex").cast(pl.Int8),
        event_minute=pl.coalesce("minute_override", "event_minute").cast(pl.Int16),
        mother_age=pl.coalesce("mother_override", "mother_age").cast(pl.Int16),
        status=pl.when(pl.col("cancelled")).then(pl.lit("cancelled")).otherwise(pl.lit("active")),
    ).drop("sex_override", "minute_override", "mother_override", "cancelled")
    creates = base.filter(~pl.col("act_id").is_in(changed.implode())).select(
        "act_id", pl.col("reg_ts").alias("ts"), pl.lit(PRIO_ACT, dtype=pl.Int8).alias("prio"), pl.lit("create").alias("kind"),
        pl.lit(1, dtype=pl.Int32).alias("version"), pl.lit(1, dtype=pl.Int32).alias("n_versions"),
    )
    act_changes = pl.concat([creates, multi], how="diagonal_relaxed")
    note_rows = notes.select("note_id", "act_id", "note_kind", "note_text", "legal_basis", "family_event_id", "notification_id",
                             pl.col("ts").alias("noted_ts"))
    note_rows = note_rows.join(multi.filter(pl.col("kind") == "marginal_note").select("note_id", pl.col("version").alias("added_in")),
                               on="note_id", how="left")
    return act_changes, note_rows, final


# ------------------------------------------------------------------------------ documents
def _documents(cfg: Config, tl: Timeline, rng: np.random.Generator, acts: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Requests for full copies and extracts, proportional to the stock of acts: a copy at
    registration, a steady demand for birth acts, a burst after a death (successions)."""
    d = cal.settings()["documents"]
    act_id = acts["act_id"].to_numpy()
    reg_ts = acts["reg_ts"].to_numpy()
    is_birth = acts["act_type"].to_numpy() == E.BIRTH
    office = acts["office"].to_numpy()
    cancelled_ts = acts.select(pl.when(pl.col("status") == "cancelled").then(pl.col("updated_ts")).otherwise(None))
    end_ts = np.where(cancelled_ts.to_series().is_null().to_numpy(), cfg.cutoff_ts, cancelled_ts.to_series().fill_null(0).to_numpy())
    n = len(act_id)
    # at registration
    at_reg = rng.random(n) < d["at_registration"]
    # later: births at a yearly rate over their exposure; deaths a burst
    exposure_years = np.maximum(end_ts - reg_ts, 0) / (365.25 * DAY)
    later = np.where(is_birth, rng.poisson(d["per_year_birth"] * exposure_years), rng.poisson(d["after_death_mean"], n))
    src = np.concatenate([np.nonzero(at_reg)[0], np.repeat(np.arange(n), later)])
    first = np.concatenate([np.ones(int(at_reg.sum()), dtype=bool), np.zeros(int(later.sum()), dtype=bool)])
    k = len(src)
    when = np.where(
        first, reg_ts[src] + rng.integers(120, 1800, k),
        np.where(is_birth[src], reg_ts[src] + (rng.random(k) * (end_ts[src] - reg_ts[src])).astype(np.int64),
                 reg_ts[src] + (rng.exponential(d["after_death_mean_days"], k) * DAY).astype(np.int64)),
    )
    year = tl.year[tl.idx(tl.local_day(when))].astype(float)
    portal = (~first) & (rng.random(k) < np.clip((year - 2019) / 7, 0, 1) * d["portal_share_2026"])
    # counter requests happen when the office is open; portal ones at any hour
    counter_day = tl.nwd(tl.local_day(when))
    counter_ts = np.where(first, when, tl.to_utc(counter_day, E.office_hours(rng, k)))
    requested = np.where(portal, when, np.maximum(counter_ts, reg_ts[src] + 60))
    issue_portal = tl.to_utc(tl.nwd(tl.local_day(requested) + 1 + rng.geometric(0.5, k) - 1), E.office_hours(rng, k))
    issued = np.where(portal, np.maximum(issue_portal, requested + 600), requested + rng.integers(300, 3600, k))
    keep = (requested < np.minimum(end_ts[src], cfg.cutoff_ts))
    src, requested, issued, portal = src[keep], requested[keep], issued[keep], portal[keep]
    k = len(src)
    kind = np.where(rng.random(k) < d["extract_share"], "extract", "full_copy")
    order = np.lexsort((act_id[src], requested))
    req = pl.DataFrame({
        "act_id": act_id[src][order], "office": office[src][order], "document_kind": kind[order],
        "channel": np.where(portal[order], "portal", "counter"), "requested_ts": requested[order],
        "issued_ts": np.where(issued[order] < cfg.cutoff_ts, issued[order], NONE),
    }).with_columns(request_id=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))
    req = req.with_columns(
        status=pl.when(pl.col("issued_ts") >= 0).then(pl.lit("issued")).otherwise(pl.lit("requested")),
        version=pl.when(pl.col("issued_ts") >= 0).then(2).otherwise(1).cast(pl.Int32),
    )
    steps = pl.concat([
        req.select("request_id", pl.col("requested_ts").alias("ts"), pl.lit("request").alias("kind"), pl.lit(1, dtype=pl.Int32).alias("version"),
                   pl.lit("requested").alias("status")),
        req.filter(pl.col("issued_ts") >= 0).select("request_id", pl.col("issued_ts").alias("ts"), pl.lit("issue").alias("kind"),
                                                    pl.lit(2, dtype=pl.Int32).alias("version"), pl.lit("issued").alias("status")),
    ]).sort(["request_id", "version"])
    return req, steps


def _notification_frames(notif: pl.DataFrame, notes: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    n = notif.join(notes.filter(pl.col("notification_id").is_not_null()).select("notification_id", pl.col("note_id").alias("marginal_note_id")),
                   on="notification_id", how="left")
    n = n.with_columns(
        status=pl.when(pl.col("applied_ts") >= 0).then(pl.lit("applied")).when(pl.col("received_ts") >= 0).then(pl.lit("received"))
        .otherwise(pl.lit("sent")),
        version=pl.when(pl.col("applied_ts") >= 0).then(3).when(pl.col("received_ts") >= 0).then(2).otherwise(1).cast(pl.Int32),
    ).sort("notification_id")
    steps = pl.concat([
        n.select("notification_id", pl.col("ts"), pl.col("prio"), pl.lit("send").alias("kind"), pl.lit(1, dtype=pl.Int32).alias("version"),
                 pl.lit("sent").alias("status")),
        n.filter(pl.col("received_ts") >= 0).select("notification_id", pl.col("received_ts").alias("ts"), pl.lit(PRIO_ACT, dtype=pl.Int8).alias("prio"),
                                                    pl.lit("receive").alias("kind"), pl.lit(2, dtype=pl.Int32).alias("version"),
                                                    pl.lit("received").alias("status")),
        n.filter(pl.col("applied_ts") >= 0).select("notification_id", pl.col("applied_ts").alias("ts"), pl.lit(PRIO_FOLLOW, dtype=pl.Int8).alias("prio"),
                                                   pl.lit("apply").alias("kind"), pl.lit(3, dtype=pl.Int32).alias("version"),
                                                   pl.lit("applied").alias("status")),
    ]).sort(["notification_id", "version"])
    return n, steps
