"""Compact history frames -> registry rows (the model's columns, in the model's order).

Names, codes and texts are kept as small integer indexes while generating; they become
strings here, one chunk at a time, just before being written. Timestamps are epoch seconds:
``fmt`` picks how they are written (ISO ``...Z`` for JSON and PostgreSQL, SQLAlchemy's
``YYYY-MM-DD HH:MM:SS.ffffff`` for SQLite, so rows read back exactly as API rows do).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

import numpy as np
import polars as pl

from registry_api import models
from registry_api.services import tracking
from simulator import calibration as cal
from simulator import events as E
from simulator.names import cnie_prefixes, family, given

Fmt = Literal["json", "pg", "sqlite"]
TS_FORMAT = {"json": "%Y-%m-%dT%H:%M:%SZ", "pg": "%Y-%m-%dT%H:%M:%SZ", "sqlite": "%Y-%m-%d %H:%M:%S.000000"}
ACTOR = "simulator#0"


def columns(model: type[models.Base]) -> list[str]:
    """The after-image keys: what ``Model.as_dict()`` returns (``record_change`` writes it)."""
    return [c.key for c in model.__mapper__.column_attrs]


def ts(col: str | pl.Expr, fmt: Fmt) -> pl.Expr:
    """Epoch seconds (negative or null = none) -> timestamp text."""
    e = pl.col(col) if isinstance(col, str) else col
    return pl.when(e >= 0).then(pl.from_epoch(e, time_unit="s").dt.strftime(TS_FORMAT[fmt]))


def day(col: str | pl.Expr) -> pl.Expr:
    e = pl.col(col) if isinstance(col, str) else col
    return pl.when(e >= 0).then(e.cast(pl.Int32).cast(pl.Date))


def nonneg(col: str) -> pl.Expr:
    return pl.when(pl.col(col) >= 0).then(pl.col(col))


@lru_cache
def _lookups() -> dict[str, pl.Series]:
    """Index -> string tables (given names: male list then female list)."""
    male, female = given("M"), given("F")
    fam = family()
    offs = cal.offices()
    return {
        "given_ar": pl.concat([male.ar, female.ar]), "given_lat": pl.concat([male.lat, female.lat]),
        "given_var": pl.concat([male.variant, female.variant]), "given_tfng": pl.concat([male.tfng, female.tfng]),
        "family_ar": fam.ar, "family_lat": fam.lat, "family_var": fam.variant, "family_tfng": fam.tfng,
        "office_code": pl.Series(offs.code, dtype=pl.String),
        "commune": pl.Series(offs.commune, dtype=pl.String),
        "country": pl.Series(offs.country, dtype=pl.String),
        "province_code": pl.Series(offs.province_codes + [None], dtype=pl.String),
        "court_city": pl.Series(offs.province_names + ["Rabat"], dtype=pl.String),
        "commune_name": pl.Series(_commune_names(), dtype=pl.String),
        "nationality": pl.Series(E.NATIONALITIES, dtype=pl.String),
        "nid_prefix": pl.Series(cnie_prefixes()[0], dtype=pl.String),
    }


def _commune_names() -> list[str]:
    from registry_api.services.geography import geography

    names = {c["commune_code"]: c["name_fr"] for c in geography()["communes"]}
    offs = cal.offices()
    return [names.get(c or "", offs.country[i]) for i, c in enumerate(offs.commune)]


def lookup(table: str, index: pl.Series | np.ndarray) -> pl.Series:
    """Strings for an integer index; negative indexes give null."""
    s = (pl.Series(index) if isinstance(index, np.ndarray) else index).cast(pl.Int64)
    out = _lookups()[table].gather(s.clip(lower_bound=0))
    return out.zip_with(s >= 0, pl.repeat(None, len(s), dtype=pl.String, eager=True))


def _given_index(df: pl.DataFrame, col: str, sex_col: str | None, sex: int | None = None) -> pl.Series:
    offset = len(given("M"))
    idx = df[col].cast(pl.Int64)
    if sex_col is not None:
        shift = df[sex_col].cast(pl.Int64) * offset
    else:
        shift = pl.Series([offset * (sex or 0)] * len(df), dtype=pl.Int64)
    return pl.Series(np.where(idx.to_numpy() >= 0, idx.to_numpy() + shift.to_numpy(), -1))


# ------------------------------------------------------------------------------ acts
def acts(df: pl.DataFrame, fmt: Fmt) -> pl.DataFrame:
    """Act rows from compact act frames (final rows, or one row per version for images)."""
    offs = cal.offices()
    g = _given_index(df, "given", "name_sex")
    fg = _given_index(df, "father_given", None, 0)
    mg = _given_index(df, "mother_given", None, 1)
    prov = pl.Series(np.where(offs.province[df["office"].to_numpy()] >= 0, offs.province[df["office"].to_numpy()], len(offs.province_codes)))
    names = pl.DataFrame({
        "g_ar": lookup("given_ar", g), "g_lat": lookup("given_lat", g), "g_var": lookup("given_var", g), "g_tfng": lookup("given_tfng", g),
        "f_ar": lookup("family_ar", df["family"]), "f_lat": lookup("family_lat", df["family"]),
        "f_var": lookup("family_var", df["family"]), "f_tfng": lookup("family_tfng", df["family"]),
        "fa_g_ar": lookup("given_ar", fg), "fa_g_lat": lookup("given_lat", fg),
        "fa_f_ar": lookup("family_ar", df["father_family"]), "fa_f_lat": lookup("family_lat", df["father_family"]),
        "mo_g_ar": lookup("given_ar", mg), "mo_g_lat": lookup("given_lat", mg),
        "mo_f_ar": lookup("family_ar", df["mother_family"]), "mo_f_lat": lookup("family_lat", df["mother_family"]),
        "office_code": lookup("office_code", df["office"]), "commune": lookup("commune", df["office"]),
        "country": lookup("country", df["office"]), "court_city": lookup("court_city", prov),
        "birth_office_code": lookup("office_code", df["birth_office"]),
        "nat": lookup("nationality", df["nationality"]), "fa_nat": lookup("nationality", df["father_nat"]),
        "mo_nat": lookup("nationality", df["mother_nat"]), "nid_letters": lookup("nid_prefix", df["nid_prefix"]),
    })
    d = pl.concat([df.drop([c for c in names.columns if c in df.columns]), names], how="horizontal")
    judgment = pl.col("judgment")
    out = d.select(
        pl.col("act_id").cast(pl.Int64),
        pl.when(pl.col("act_type") == E.BIRTH).then(pl.lit("birth")).otherwise(pl.lit("death")).alias("act_type"),
        pl.col("office_code"),
        pl.col("register_year").cast(pl.Int32),
        pl.col("act_number").cast(pl.Int32),
        pl.col("status"),
        pl.col("version").cast(pl.Int32),
        pl.when(judgment).then(pl.lit("declaratory_judgment")).otherwise(pl.lit("declaration")).alias("registration_basis"),
        pl.when(judgment).then(pl.format("Tribunal de première instance de {}", pl.col("court_city"))).alias("court_name"),
        pl.when(judgment).then(pl.format("{}/{}", pl.col("judgment_no"), day("judgment_day").dt.year())).alias("judgment_reference"),
        pl.when(judgment).then(day("judgment_day")).alias("judgment_date"),
        nonneg("declaration_id").cast(pl.Int64).alias("declaration_id"),
        day("event_day").alias("event_date"),
        pl.when(pl.col("event_minute") >= 0).then(pl.format(
            "{}:{}", (pl.col("event_minute") // 60).cast(pl.String).str.zfill(2), (pl.col("event_minute") % 60).cast(pl.String).str.zfill(2),
        )).alias("event_time"),
        pl.col("place").cast(pl.Int64).replace_strict(list(range(len(E.PLACES))), list(E.PLACES)).alias("event_place_kind"),
        pl.col("commune").alias("event_commune_code"),
        pl.col("country").alias("event_country_code"),
        ts("reg_ts", fmt).alias("registered_at"),
        day("reg_day").alias("registration_date"),
        pl.col("g_ar").alias("given_name_ar"),
        pl.when(pl.col("given_variant")).then(pl.col("g_var")).otherwise(pl.col("g_lat")).alias("given_name_lat"),
        pl.when(pl.col("tfng")).then(pl.col("g_tfng")).alias("given_name_tfng"),
        pl.col("f_ar").alias("family_name_ar"),
        pl.when(pl.col("family_variant")).then(pl.col("f_var")).otherwise(pl.col("f_lat")).alias("family_name_lat"),
        pl.when(pl.col("tfng")).then(pl.col("f_tfng")).alias("family_name_tfng"),
        pl.when(pl.col("sex") == 0).then(pl.lit("M")).otherwise(pl.lit("F")).alias("sex"),
        day("birth_day").alias("birth_date"),
        nonneg("age").cast(pl.Int32).alias("age_years"),
        pl.col("nat").alias("nationality"),
        (pl.col("nid_letters") + pl.col("nid_number").cast(pl.String).str.zfill(6)).alias("national_id"),
        pl.when(pl.col("marital") >= 0).then(pl.col("marital").cast(pl.Int64).replace_strict(list(range(4)), list(E.MARITAL)))
        .alias("marital_status"),
        nonneg("birth_act_id").cast(pl.Int64).alias("birth_act_id"),
        pl.col("birth_office_code"),
        pl.col("plurality").cast(pl.Int32),
        pl.when(pl.col("father_given") >= 0).then(pl.format("{} {}", "fa_g_ar", "fa_f_ar")).alias("father_name_ar"),
        pl.when(pl.col("father_given") >= 0).then(pl.format("{} {}", "fa_g_lat", "fa_f_lat")).alias("father_name_lat"),
        pl.when(pl.col("mother_given") >= 0).then(pl.format("{} {}", "mo_g_ar", "mo_f_ar")).alias("mother_name_ar"),
        pl.when(pl.col("mother_given") >= 0).then(pl.format("{} {}", "mo_g_lat", "mo_f_lat")).alias("mother_name_lat"),
        nonneg("father_age").cast(pl.Int32).alias("father_age"),
        nonneg("mother_age").cast(pl.Int32).alias("mother_age"),
        pl.col("fa_nat").alias("father_nationality"),
        pl.col("mo_nat").alias("mother_nationality"),
        pl.col("declarant").cast(pl.Int64).replace_strict(list(range(len(E.DECLARANTS))), list(E.DECLARANTS)).alias("declarant_relation"),
        pl.col("cancel_reason"),
        ts("reg_ts", fmt).alias("created_at"),
        ts("updated_ts", fmt).alias("updated_at"),
    )
    return out


# ------------------------------------------------------------------------------ declarations
_CHECK_TABLE: np.ndarray | None = None


def _check_table() -> np.ndarray:
    """Per (position, symbol) contribution to the tracking check symbol, computed FROM
    ``tracking._check_symbol`` (a body that is all '0' but one symbol): the check is a sum
    modulo 32 of these contributions, so numbers can be made vectorized; every generated
    number is then checked with ``tracking.is_valid`` in the tests."""
    global _CHECK_TABLE
    if _CHECK_TABLE is None:
        n = len(tracking.ALPHABET)
        length = tracking.BODY_LENGTH + 1
        table = np.zeros((length, n), dtype=np.int64)
        for pos in range(length):
            for sym in range(n):
                body = ["0"] * length
                body[pos] = tracking.ALPHABET[sym]
                c = tracking.ALPHABET.index(tracking._check_symbol("".join(body)))
                table[pos, sym] = (n - c) % n
        _CHECK_TABLE = table
    return _CHECK_TABLE


def tracking_numbers(event_type: np.ndarray, seeds: np.ndarray) -> pl.Series:
    """Unique tracking numbers ``<P><8 symbols><check>`` drawn from 40 random bits per row."""
    n_sym = len(tracking.ALPHABET)
    prefix_idx = np.array([tracking.ALPHABET.index(tracking.PREFIX[t]) for t in ("birth", "death")])[event_type]
    seeds = seeds.astype(np.uint64).copy()
    alphabet = pl.Series(list(tracking.ALPHABET))
    table = _check_table()
    while True:
        syms = np.stack([prefix_idx] + [((seeds >> np.uint64(5 * k)) & np.uint64(31)).astype(np.int64) for k in range(8)], axis=1)
        total = table[np.arange(9)[None, :], syms].sum(axis=1) % n_sym
        body = np.concatenate([syms, ((n_sym - total) % n_sym)[:, None]], axis=1)
        strings = pl.DataFrame({str(k): alphabet.gather(body[:, k]) for k in range(body.shape[1])}).select(
            pl.concat_str(pl.all()).alias("tracking_number"))["tracking_number"]
        dup = (~strings.is_first_distinct()).to_numpy()
        if not dup.any():
            return strings
        seeds[dup] = seeds[dup] * np.uint64(6364136223846793005) + np.uint64(1442695040888963407)


def declarations(df: pl.DataFrame, fmt: Fmt) -> pl.DataFrame:
    """Declaration rows (final state) from the compact frame (with its event columns)."""
    g = _given_index(df, "given", "name_sex")
    fg = _given_index(df, "father_given", None, 0)
    mg = _given_index(df, "mother_given", None, 1)
    other = pl.Series(np.where(df["declarant"].to_numpy() >= 0, df["phone_seed"].to_numpy() % len(given("M")), 0))
    d = pl.concat([df, pl.DataFrame({
        "g_ar": lookup("given_ar", g), "g_lat": lookup("given_lat", g), "f_ar": lookup("family_ar", df["family"]),
        "f_lat": lookup("family_lat", df["family"]), "fa_lat": lookup("given_lat", fg), "fa_f_lat": lookup("family_lat", df["father_family"]),
        "mo_lat": lookup("given_lat", mg), "mo_f_lat": lookup("family_lat", df["mother_family"]),
        "other_lat": lookup("given_lat", other), "office_code": lookup("office_code", df["office"]),
        "commune_name": lookup("commune_name", df["office"]),
        "phone": _phones(df["phone_seed"].to_numpy()),
    })], how="horizontal")
    declarant = pl.col("declarant").cast(pl.Int64).replace_strict(list(range(len(E.DECLARANTS))), list(E.DECLARANTS))
    institution = pl.col("channel") == 1
    name = (
        pl.when(institution).then(pl.format("Établissement de santé de {}", "commune_name"))
        .when((declarant == "father") & pl.col("fa_lat").is_not_null()).then(pl.format("{} {}", "fa_lat", "fa_f_lat"))
        .when((declarant == "mother") & pl.col("mo_lat").is_not_null()).then(pl.format("{} {}", "mo_lat", "mo_f_lat"))
        .otherwise(pl.format("{} {}", "other_lat", "f_lat"))
    )
    email_user = pl.format("{}.{}{}", "other_lat", "f_lat", (pl.col("phone_seed") % 97).cast(pl.String)).str.to_lowercase() \
        .str.replace_all(r"[^a-z0-9.]", "")
    payload = pl.struct(
        pl.col("g_ar").alias("given_name_ar"), pl.col("g_lat").alias("given_name_lat"), pl.col("f_ar").alias("family_name_ar"),
        pl.col("f_lat").alias("family_name_lat"), pl.when(pl.col("sex") == 0).then(pl.lit("M")).otherwise(pl.lit("F")).alias("sex"),
        nonneg("age").cast(pl.Int32).alias("age_years"),
    )
    out = d.select(
        pl.col("declaration_id").cast(pl.Int64),
        pl.col("tracking_number"),
        pl.when(pl.col("act_type") == E.BIRTH).then(pl.lit("birth")).otherwise(pl.lit("death")).alias("event_type"),
        day("event_day").alias("event_date"),
        pl.col("office_code"),
        pl.when(institution).then(pl.lit("institution")).otherwise(pl.lit("portal")).alias("channel"),
        pl.col("place").cast(pl.Int64).replace_strict(list(range(len(E.PLACES))), list(E.PLACES)).alias("event_place_kind"),
        day("deadline_day").alias("deadline_date"),
        pl.col("status"),
        pl.col("version").cast(pl.Int32),
        name.alias("declarant_name"),
        pl.col("phone").alias("declarant_phone"),
        pl.when(~institution & pl.col("has_email")).then(pl.format("{}@{}", email_user, pl.lit("gmail.com"))).alias("declarant_email"),
        pl.when(institution).then(pl.lit("institution")).otherwise(declarant).alias("declarant_relation"),
        pl.when(pl.col("locale_ar")).then(pl.lit("ar")).otherwise(pl.lit("fr")).alias("locale"),
        (payload if fmt == "json" else payload.struct.json_encode()).alias("payload"),
        ts("submit_ts", fmt).alias("submitted_at"),
        ts("review_started_ts", fmt).alias("review_started_at"),
        ts("decided_ts", fmt).alias("decided_at"),
        pl.col("act_id").cast(pl.Int64),
        pl.when(pl.col("status") == "rejected").then(
            pl.col("reject_reason").cast(pl.Int64).replace_strict(list(range(len(E.REJECTION_REASONS))), list(E.REJECTION_REASONS))
        ).alias("rejection_reason"),
    )
    return out


def _phones(seed: np.ndarray) -> pl.Series:
    lead = pl.Series(np.where(seed % 4 == 0, "+2127", "+2126"))
    rest = pl.Series((seed * 2654435761) % 100_000_000).cast(pl.String).str.zfill(8)
    return lead + rest


# ------------------------------------------------------------------------------ the rest
def requests(df: pl.DataFrame, fmt: Fmt) -> pl.DataFrame:
    return df.select(
        pl.col("request_id").cast(pl.Int64), pl.col("act_id").cast(pl.Int64), lookup("office_code", df["office"]).alias("office_code"),
        pl.col("document_kind"), pl.col("channel"), pl.col("status"), pl.col("version").cast(pl.Int32),
        ts("requested_ts", fmt).alias("requested_at"), ts("issued_ts", fmt).alias("issued_at"),
    )


def court_name(province: pl.Expr) -> pl.Expr:
    """The family section of the province's court of first instance."""
    return pl.format("Section de la famille, TPI de {}", province.cast(pl.Int64).replace_strict(
        list(range(len(cal.offices().province_names))), cal.offices().province_names, return_dtype=pl.String))


def contract_reference() -> pl.Expr:
    """``MAR-2025-000123`` / ``DIV-...``: per event type and year, in recording order."""
    return pl.format("{}-{}-{}", pl.when(pl.col("event_type") == "marriage").then(pl.lit("MAR")).otherwise(pl.lit("DIV")),
                     pl.col("event_day").cast(pl.Date).dt.year(), pl.col("seq").cast(pl.String).str.zfill(6))


def notifications(df: pl.DataFrame, fmt: Fmt, acts: pl.DataFrame, family_events: pl.DataFrame) -> pl.DataFrame:
    """Notification rows; their texts are written as ``services`` writes them, from the death
    act (``_death_follow_up``) or the court's family event (``record_family_event``)."""
    from registry_api.services.notifications import DIVORCE_LABELS_FR

    src = acts.select("event_day", "act_number", "register_year", "office").gather(
        df["source_act_id"].fill_null(1).cast(pl.Int64) - 1).rename(lambda c: f"a_{c}")
    fam = family_events.select("event_type", "divorce_kind", "event_day", "province", "seq").gather(
        df["family_event_id"].fill_null(1).cast(pl.Int64) - 1)
    fam = fam.with_columns(court=court_name(pl.col("province")), ref=contract_reference()).rename(lambda c: f"f_{c}")
    d = pl.concat([df, src, fam, pl.DataFrame({"a_office_code": lookup("office_code", src["a_office"])})], how="horizontal")
    label = pl.when(pl.col("f_event_type") == "marriage").then(pl.lit("mariage")).otherwise(
        pl.col("f_divorce_kind").replace_strict({k: v for k, v in DIVORCE_LABELS_FR.items() if k is not None}, default=DIVORCE_LABELS_FR[None]))
    court = pl.col("source_kind") == "court"
    text = pl.when(court).then(pl.format(
        "Mention de {} de {} le {}, {}, réf. {}", label,
        pl.when(pl.col("spouse") == 0).then(pl.lit("l'époux")).otherwise(pl.lit("l'épouse")),
        pl.col("f_event_day").cast(pl.Date).cast(pl.String), pl.col("f_court"), pl.col("f_ref"),
    )).otherwise(pl.format(
        "Décédé(e) le {} — acte de décès n° {}/{}, bureau {}", pl.col("a_event_day").cast(pl.Date).cast(pl.String),
        pl.col("a_act_number"), pl.col("a_register_year"), pl.col("a_office_code"),
    ))
    return d.select(
        pl.col("notification_id").cast(pl.Int64), pl.col("event_type"), pl.col("source_kind"),
        lookup("office_code", df["from_office"].fill_null(-1)).alias("from_office_code"),
        pl.when(court).then(pl.col("f_court")).alias("from_court_name"),
        lookup("office_code", df["to_office"]).alias("to_office_code"), pl.col("target_act_id").cast(pl.Int64),
        pl.col("source_act_id").cast(pl.Int64), pl.col("family_event_id").cast(pl.Int64), text.alias("note_text"), pl.col("status"),
        pl.col("version").cast(pl.Int32), ts("ts", fmt).alias("created_at"), ts("received_ts", fmt).alias("received_at"),
        ts("applied_ts", fmt).alias("applied_at"), pl.col("marginal_note_id").cast(pl.Int64),
    )


def family_events(df: pl.DataFrame, fmt: Fmt) -> pl.DataFrame:
    return df.select(
        pl.col("family_event_id").cast(pl.Int64), pl.col("event_type"), day("event_day").alias("event_date"), pl.col("divorce_kind"),
        court_name(pl.col("province")).alias("court_name"), lookup("province_code", df["province"]).alias("court_province_code"),
        contract_reference().alias("contract_reference"),
        pl.col("husband_age").cast(pl.Int32), pl.col("wife_age").cast(pl.Int32),
        pl.lit(None, dtype=pl.Int64).alias("husband_birth_act_id"), pl.lit(None, dtype=pl.Int64).alias("wife_birth_act_id"),
        lookup("office_code", df["husband_office"]).alias("husband_birth_office_code"),
        lookup("office_code", df["wife_office"]).alias("wife_birth_office_code"),
        pl.lit(1, dtype=pl.Int32).alias("version"), ts("recorded_ts", fmt).alias("recorded_at"),
    )


def notes(df: pl.DataFrame, fmt: Fmt) -> pl.DataFrame:
    return df.select(
        pl.col("note_id").cast(pl.Int64), pl.col("act_id").cast(pl.Int64), pl.col("note_kind"), pl.col("note_text"),
        pl.col("legal_basis"), pl.col("family_event_id").cast(pl.Int64), pl.col("notification_id").cast(pl.Int64),
        ts("noted_ts", fmt).alias("noted_at"),
    )


def counters(df: pl.DataFrame) -> pl.DataFrame:
    return df.select(
        lookup("office_code", df["office"]).alias("office_code"), pl.col("register_year").cast(pl.Int32),
        pl.when(pl.col("act_type") == E.BIRTH).then(pl.lit("birth")).otherwise(pl.lit("death")).alias("act_type"),
        pl.col("last_number").cast(pl.Int32),
    )
