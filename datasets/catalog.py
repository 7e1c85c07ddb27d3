"""The registry of curated datasets: the one place that says what each administration gets.

A definition is data, not code paths: name, bilingual title and description, audience
(sectors), grain, columns with types and meanings, licence, refresh cadence, disclosure class
and the SQL that produces it from the published marts. Releases, the Frictionless descriptor,
the Dagster assets, the API's access rules and the documentation are all derived from it, so
adding a dataset is adding an entry here (and a test that pins its columns).

Disclosure classes:
- ``aggregate_public``: counts from a protected cube (:mod:`datasets.cubes`), small cells
  withheld with complementary suppression; fit for wide release whoever the first audience is;
- ``identified``: carries a direct identifier for one legal purpose; only the named sector,
  minimum columns; never to analysts;
- ``pseudonymized``: person-level, no names, dates coarsened to the month, a keyed pseudonym
  per sector (one dataset per sector, so sectors cannot link their files).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pyarrow as pa

from datasets import anonymity, pseudonyms
from datasets.cubes import AGE_GROUPS, AGE_TOTAL, CUBES, SEX_TOTAL, UNKNOWN_AGE

SECTORS = ("health", "statistics", "elections", "social_protection", "planning", "public")
Disclosure = Literal["aggregate_public", "identified", "pseudonymized"]
FieldType = Literal["string", "integer", "number", "boolean", "date", "yearmonth"]

ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "yearmonth": pa.string(),  # "YYYY-MM": a month, never mistaken for a day
}


@dataclass(frozen=True)
class Column:
    name: str
    type: FieldType
    description_fr: str
    description_ar: str
    enum: tuple[str, ...] = ()

    def field(self) -> dict[str, object]:
        """The Frictionless field descriptor."""
        out: dict[str, object] = {
            "name": self.name,
            "type": self.type,
            "description": self.description_fr,
            "description_ar": self.description_ar,
        }
        if self.type == "yearmonth":
            out["format"] = "default"  # YYYY-MM
        if self.enum:
            out["constraints"] = {"enum": list(self.enum)}
        return out


@dataclass(frozen=True)
class Licence:
    name: str
    title: str
    path: str | None = None

    def descriptor(self) -> dict[str, str]:
        return {k: v for k, v in {"name": self.name, "title": self.title, "path": self.path}.items() if v}


OPEN_LICENCE = Licence(
    "CC-BY-4.0", "Creative Commons Attribution 4.0 International", "https://creativecommons.org/licenses/by/4.0/"
)
RESTRICTED_LICENCE = Licence(
    "LicenseRef-civstat-restricted",
    "Usage restreint à l'administration destinataire, selon la convention d'échange de données et la loi 09-08 "
    "— استعمال مقيد بالإدارة المستفيدة وفق اتفاقية تبادل المعطيات والقانون 09-08",
)


@dataclass(frozen=True)
class DatasetDefinition:
    name: str
    title_fr: str
    title_ar: str
    description_fr: str
    description_ar: str
    sectors: tuple[str, ...]
    grain: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    licence: Licence
    cadence: Literal["daily", "weekly", "monthly", "yearly"]
    disclosure: Disclosure
    sources: tuple[str, ...]  # marts (Dagster asset keys) the SQL reads
    sql: str
    cubes: tuple[str, ...] = ()  # protected cubes the SQL reads as ``cube_<name>``
    pseudonym_sector: str | None = None
    k_anonymous: bool = False  # joined to ``qi_groups`` (datasets/anonymity.py), k-anonymous quasi-identifiers
    keywords: tuple[str, ...] = field(default=())

    @property
    def is_public(self) -> bool:
        return "public" in self.sectors

    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, ARROW_TYPES[c.type]) for c in self.columns])

    def visible_to_sector(self, sector: str | None) -> bool:
        return self.is_public or (sector is not None and sector in self.sectors)

    def metadata(self) -> dict[str, object]:
        """What the catalog endpoint shows (no SQL: it names internal tables)."""
        return {
            "name": self.name,
            "title_fr": self.title_fr,
            "title_ar": self.title_ar,
            "description_fr": self.description_fr,
            "description_ar": self.description_ar,
            "sectors": list(self.sectors),
            "grain": self.grain,
            "disclosure": self.disclosure,
            "licence": self.licence.descriptor(),
            "cadence": self.cadence,
            "columns": [c.field() for c in self.columns],
            "primary_key": list(self.primary_key),
            "keywords": list(self.keywords),
        }


# ---- columns shared by several datasets ------------------------------------------------------

def _c(name: str, type_: FieldType, fr: str, ar: str, enum: tuple[str, ...] = ()) -> Column:
    return Column(name, type_, fr, ar, enum)


MONTH_START = _c("month_start", "date", "Premier jour du mois de l'événement (date de l'événement, pas de l'enregistrement).",
                 "اليوم الأول من شهر الواقعة (تاريخ الواقعة لا تاريخ التسجيل).")
YEAR = _c("year", "integer", "Année de l'événement.", "سنة الواقعة.")
REGION_CODE = _c("region_code", "string", "Code HCP de la région (01 à 12).", "رمز الجهة حسب المندوبية السامية للتخطيط (01 إلى 12).")
REGION_FR = _c("region_name_fr", "string", "Nom de la région en français.", "اسم الجهة بالفرنسية.")
REGION_AR = _c("region_name_ar", "string", "Nom de la région en arabe.", "اسم الجهة بالعربية.")
PROVINCE_CODE = _c("province_code", "string", "Code HCP de la province ou préfecture (RR.PPP).", "رمز الإقليم أو العمالة (RR.PPP).")
PROVINCE_FR = _c("province_name_fr", "string", "Nom de la province en français.", "اسم الإقليم بالفرنسية.")
PROVINCE_AR = _c("province_name_ar", "string", "Nom de la province en arabe.", "اسم الإقليم بالعربية.")
COMMUNE_CODE = _c("commune_code", "string", "Code HCP de la commune.", "رمز الجماعة حسب المندوبية السامية للتخطيط.")
COMMUNE_FR = _c("commune_name_fr", "string", "Nom de la commune en français.", "اسم الجماعة بالفرنسية.")
COMMUNE_AR = _c("commune_name_ar", "string", "Nom de la commune en arabe.", "اسم الجماعة بالعربية.")
SEX_WITH_TOTAL = _c("sex", "string", "Sexe : M, F, ou T pour les deux sexes ensemble.", "الجنس: M ذكر، F أنثى، T المجموع.",
                    ("M", "F", SEX_TOTAL))
SEX = _c("sex", "string", "Sexe de l'enfant (M ou F).", "جنس المولود (M أو F).", ("M", "F"))
SUPPRESSED = _c("is_suppressed", "boolean",
                "Vrai si la valeur est masquée (effectif de 1 à 4, ou masquage complémentaire pour qu'elle ne puisse "
                "pas être recalculée à partir des totaux).",
                "صحيح إذا حجبت القيمة (عدد من 1 إلى 4، أو حجب تكميلي حتى لا يمكن استنتاجها من المجاميع).")


def _suppressed_count(name: str, fr: str, ar: str) -> Column:
    return _c(name, "integer", f"{fr} Vide si masqué.", f"{ar} فارغ إذا حجب.")


# ---- the datasets ------------------------------------------------------------------------------

BIRTHS_COMMUNE_MONTH_SEX = DatasetDefinition(
    name="births_commune_month_sex",
    title_fr="Naissances par commune, mois et sexe",
    title_ar="الولادات حسب الجماعة والشهر والجنس",
    description_fr=(
        "Naissances enregistrées (actes actifs) par commune, mois de naissance et sexe, avec le total des deux "
        "sexes. Pour la planification des vaccinations et du suivi maternel. Les effectifs de 1 à 4 sont masqués, "
        "ainsi que les cellules complémentaires nécessaires pour qu'aucune ne puisse être recalculée, y compris "
        "à partir des autres jeux publiés."
    ),
    description_ar=(
        "الولادات المسجلة (الرسوم السارية) حسب الجماعة وشهر الازدياد والجنس، مع مجموع الجنسين، لتخطيط التلقيح "
        "وتتبع صحة الأم. تحجب الأعداد من 1 إلى 4 والخانات التكميلية اللازمة حتى لا يمكن استنتاج أي منها، "
        "ولو انطلاقا من المجموعات الأخرى المنشورة."
    ),
    sectors=("health", "statistics", "planning"),
    grain="commune_code × month_start × sex",
    columns=(
        MONTH_START, REGION_CODE, PROVINCE_CODE, COMMUNE_CODE, COMMUNE_FR, COMMUNE_AR, SEX_WITH_TOTAL,
        _suppressed_count("births", "Nombre de naissances.", "عدد الولادات."), SUPPRESSED,
    ),
    primary_key=("month_start", "commune_code", "sex"),
    licence=RESTRICTED_LICENCE,
    cadence="monthly",
    disclosure="aggregate_public",
    sources=("fct_birth", "dim_geography"),
    cubes=("births",),
    keywords=("naissances", "ولادات", "vaccination", "commune"),
    sql="""
    with
    cells as (
        select
            cast(time_code || '-01' as date) as month_start,
            geo_code as commune_code,
            sex_code as sex,
            time_order,
            geo_order,
            sex_order,
            value,
            is_suppressed,
        from cube_births
        where geo_level = 'commune' and time_level = 'month'
    ),
    communes as (
        select
            commune_code,
            any_value(province_code order by office_code) as province_code,
            any_value(region_code order by office_code) as region_code,
            any_value(commune_name_fr order by office_code) as commune_name_fr,
            any_value(commune_name_ar order by office_code) as commune_name_ar,
        from dim_geography
        where commune_code is not null
        group by commune_code
    )
    select
        c.month_start,
        g.region_code,
        g.province_code,
        c.commune_code,
        g.commune_name_fr,
        g.commune_name_ar,
        c.sex,
        case when c.is_suppressed then null else c.value end as births,
        c.is_suppressed,
    from cells as c
    inner join communes as g on g.commune_code = c.commune_code
    order by c.time_order, c.geo_order, c.sex_order  -- = month, commune code, sex: integer keys sort fast
    """,
)

DEATHS_PROVINCE_MONTH_SEX_AGE = DatasetDefinition(
    name="deaths_province_month_sex_age",
    title_fr="Décès par province, mois, sexe et groupe d'âge",
    title_ar="الوفيات حسب الإقليم والشهر والجنس والفئة العمرية",
    description_fr=(
        "Décès enregistrés (actes actifs) par province, mois du décès, sexe et groupe d'âge, avec les totaux "
        "(sexe T, âge « all »). Pour la statistique démographique et la santé publique. Masquage des effectifs "
        "de 1 à 4 et masquage complémentaire."
    ),
    description_ar=(
        "الوفيات المسجلة (الرسوم السارية) حسب الإقليم وشهر الوفاة والجنس والفئة العمرية، مع المجاميع (الجنس T، "
        "السن all)، للإحصاء الديموغرافي والصحة العمومية. تحجب الأعداد من 1 إلى 4 مع حجب تكميلي."
    ),
    sectors=("statistics", "health"),
    grain="province_code × month_start × sex × age_group",
    columns=(
        MONTH_START, REGION_CODE, PROVINCE_CODE, PROVINCE_FR, PROVINCE_AR, SEX_WITH_TOTAL,
        _c("age_group", "string", "Groupe d'âge au décès (années révolues) ; « unknown » si l'âge est inconnu, « all » pour "
           "tous les âges.", "الفئة العمرية عند الوفاة (بالسنوات الكاملة)؛ unknown إذا كان السن مجهولا، all لجميع الأعمار.",
           (*AGE_GROUPS, UNKNOWN_AGE, AGE_TOTAL)),
        _suppressed_count("deaths", "Nombre de décès.", "عدد الوفيات."), SUPPRESSED,
    ),
    primary_key=("month_start", "province_code", "sex", "age_group"),
    licence=RESTRICTED_LICENCE,
    cadence="monthly",
    disclosure="aggregate_public",
    sources=("fct_death", "dim_geography"),
    cubes=("deaths",),
    keywords=("décès", "وفيات", "mortalité"),
    sql="""
    with
    provinces as (
        select
            province_code,
            any_value(region_code order by office_code) as region_code,
            any_value(province_name_fr order by office_code) as province_name_fr,
            any_value(province_name_ar order by office_code) as province_name_ar,
        from dim_geography
        where province_code is not null
        group by province_code
    )
    select
        cast(c.time_code || '-01' as date) as month_start,
        p.region_code,
        c.geo_code as province_code,
        p.province_name_fr,
        p.province_name_ar,
        c.sex_code as sex,
        c.age_code as age_group,
        case when c.is_suppressed then null else c.value end as deaths,
        c.is_suppressed,
    from cube_deaths as c
    inner join provinces as p on p.province_code = c.geo_code
    where c.geo_level = 'province' and c.time_level = 'month'
    order by c.time_order, c.geo_order, c.sex_order, c.age_order  -- = month, province code, sex, age
    """,
)

VITAL_EVENTS_REGION_YEAR = DatasetDefinition(
    name="vital_events_region_year",
    title_fr="Faits d'état civil et taux par région et année",
    title_ar="وقائع الحالة المدنية ومعدلاتها حسب الجهة والسنة",
    description_fr=(
        "Naissances, décès (dont infantiles), mariages et divorces enregistrés, par région et année, avec la "
        "population et les taux bruts. Diffusion publique : mêmes chiffres que les jeux détaillés (mêmes "
        "masquages) ; un taux est vide quand l'effectif qu'il utilise est masqué."
    ),
    description_ar=(
        "الولادات والوفيات (ومنها وفيات الرضع) والزواج والطلاق المسجلة حسب الجهة والسنة، مع عدد السكان والمعدلات "
        "الخام. للنشر العام: نفس أرقام المجموعات المفصلة ونفس الحجب؛ يترك المعدل فارغا إذا حجب العدد الذي يعتمد عليه."
    ),
    sectors=("planning", "statistics", "health", "social_protection", "elections", "public"),
    grain="region_code × year",
    columns=(
        YEAR, REGION_CODE, REGION_FR, REGION_AR,
        _c("population", "integer", "Population moyenne de l'année (indicateur ind_vital_region_month).",
           "متوسط عدد السكان خلال السنة (المؤشر ind_vital_region_month)."),
        _suppressed_count("births", "Naissances.", "الولادات."),
        _suppressed_count("births_male", "Naissances de garçons.", "ولادات الذكور."),
        _suppressed_count("births_female", "Naissances de filles.", "ولادات الإناث."),
        _suppressed_count("deaths", "Décès.", "الوفيات."),
        _suppressed_count("deaths_male", "Décès d'hommes.", "وفيات الذكور."),
        _suppressed_count("deaths_female", "Décès de femmes.", "وفيات الإناث."),
        _suppressed_count("infant_deaths", "Décès avant un an.", "وفيات الرضع (أقل من سنة)."),
        _suppressed_count("marriages", "Mariages (par région du tribunal).", "عقود الزواج (حسب جهة المحكمة)."),
        _suppressed_count("divorces", "Divorces (par région du tribunal).", "حالات الطلاق (حسب جهة المحكمة)."),
        _c("crude_birth_rate", "number", "Naissances pour 1 000 habitants.", "الولادات لكل 1000 نسمة."),
        _c("crude_death_rate", "number", "Décès pour 1 000 habitants.", "الوفيات لكل 1000 نسمة."),
        _c("sex_ratio_at_birth", "number", "Garçons pour 100 filles à la naissance.", "عدد الذكور لكل 100 أنثى عند الولادة."),
        _c("infant_deaths_per_1000_births", "number", "Décès avant un an pour 1 000 naissances de l'année.",
           "وفيات الرضع لكل 1000 ولادة في السنة."),
        _c("mean_mother_age", "number", "Âge moyen de la mère à la naissance (années).", "متوسط سن الأم عند الولادة (بالسنوات)."),
        _c("has_suppressed", "boolean", "Vrai si au moins une valeur de la ligne est masquée.",
           "صحيح إذا حجبت قيمة واحدة على الأقل في السطر."),
    ),
    primary_key=("year", "region_code"),
    licence=OPEN_LICENCE,
    cadence="monthly",
    disclosure="aggregate_public",
    sources=("fct_birth", "fct_death", "fct_marriage", "fct_divorce", "dim_geography", "dim_region", "ind_vital_region_month"),
    cubes=("births", "deaths", "marriages", "divorces"),
    keywords=("naissances", "décès", "mariages", "divorces", "taux", "région"),
    sql=f"""
    with
    births as (
        select
            geo_code as region_code,
            cast(time_code as integer) as year,
            any_value(value) filter (where sex_code = '{SEX_TOTAL}') as births_v,
            bool_or(is_suppressed) filter (where sex_code = '{SEX_TOTAL}') as births_s,
            any_value(value) filter (where sex_code = 'M') as male_v,
            bool_or(is_suppressed) filter (where sex_code = 'M') as male_s,
            any_value(value) filter (where sex_code = 'F') as female_v,
            bool_or(is_suppressed) filter (where sex_code = 'F') as female_s,
        from cube_births
        where geo_level = 'region' and time_level = 'year'
        group by all
    ),
    deaths as (
        select
            geo_code as region_code,
            cast(time_code as integer) as year,
            any_value(value) filter (where sex_code = '{SEX_TOTAL}' and age_code = '{AGE_TOTAL}') as deaths_v,
            bool_or(is_suppressed) filter (where sex_code = '{SEX_TOTAL}' and age_code = '{AGE_TOTAL}') as deaths_s,
            any_value(value) filter (where sex_code = 'M' and age_code = '{AGE_TOTAL}') as male_v,
            bool_or(is_suppressed) filter (where sex_code = 'M' and age_code = '{AGE_TOTAL}') as male_s,
            any_value(value) filter (where sex_code = 'F' and age_code = '{AGE_TOTAL}') as female_v,
            bool_or(is_suppressed) filter (where sex_code = 'F' and age_code = '{AGE_TOTAL}') as female_s,
            any_value(value) filter (where sex_code = '{SEX_TOTAL}' and age_code = '0') as infant_v,
            bool_or(is_suppressed) filter (where sex_code = '{SEX_TOTAL}' and age_code = '0') as infant_s,
        from cube_deaths
        where geo_level = 'region' and time_level = 'year'
        group by all
    ),
    marriages as (
        select geo_code as region_code, cast(time_code as integer) as year, value as v, is_suppressed as s,
        from cube_marriages
        where geo_level = 'region'
    ),
    divorces as (
        select geo_code as region_code, cast(time_code as integer) as year, value as v, is_suppressed as s,
        from cube_divorces
        where geo_level = 'region'
    ),
    grid as (
        select region_code, year from births
        union select region_code, year from deaths
        union select region_code, year from marriages
        union select region_code, year from divorces
    ),
    population as (
        select region_code, year, cast(round(avg(population)) as bigint) as population,
        from ind_vital_region_month
        group by all
    ),
    mothers as (
        select region_code, year(event_month) as year, round(avg(mother_age), 1) as mean_mother_age,
        from fct_birth
        where not is_cancelled and mother_age is not null
        group by all
    ),
    counts as (
        select
            g.year,
            g.region_code,
            p.population,
            case when b.births_s then null else b.births_v end as births,
            case when b.male_s then null else b.male_v end as births_male,
            case when b.female_s then null else b.female_v end as births_female,
            case when d.deaths_s then null else d.deaths_v end as deaths,
            case when d.male_s then null else d.male_v end as deaths_male,
            case when d.female_s then null else d.female_v end as deaths_female,
            case when d.infant_s then null else d.infant_v end as infant_deaths,
            case when m.s then null else m.v end as marriages,
            case when v.s then null else v.v end as divorces,
            m2.mean_mother_age,
            coalesce(b.births_s or b.male_s or b.female_s or d.deaths_s or d.male_s or d.female_s or d.infant_s
                or m.s or v.s, false) as has_suppressed,
        from grid as g
        left join births as b on b.region_code = g.region_code and b.year = g.year
        left join deaths as d on d.region_code = g.region_code and d.year = g.year
        left join marriages as m on m.region_code = g.region_code and m.year = g.year
        left join divorces as v on v.region_code = g.region_code and v.year = g.year
        left join population as p on p.region_code = g.region_code and p.year = g.year
        left join mothers as m2 on m2.region_code = g.region_code and m2.year = g.year
    )
    select
        c.year,
        c.region_code,
        r.region_name_fr,
        r.region_name_ar,
        c.population,
        c.births,
        c.births_male,
        c.births_female,
        c.deaths,
        c.deaths_male,
        c.deaths_female,
        c.infant_deaths,
        c.marriages,
        c.divorces,
        round(1000.0 * c.births / nullif(c.population, 0), 2) as crude_birth_rate,
        round(1000.0 * c.deaths / nullif(c.population, 0), 2) as crude_death_rate,
        round(100.0 * c.births_male / nullif(c.births_female, 0), 1) as sex_ratio_at_birth,
        round(1000.0 * c.infant_deaths / nullif(c.births, 0), 1) as infant_deaths_per_1000_births,
        case when c.births is null then null else c.mean_mother_age end as mean_mother_age,
        c.has_suppressed,
    from counts as c
    left join dim_region as r on r.region_code = c.region_code
    order by c.year, c.region_code
    """,
)

DECEASED_ADULTS_NATIONAL_ID = DatasetDefinition(
    name="deceased_adults_national_id",
    title_fr="Personnes majeures décédées (CNIE), pour la mise à jour des listes électorales",
    title_ar="الأشخاص الراشدون المتوفون (البطاقة الوطنية) لتحيين اللوائح الانتخابية",
    description_fr=(
        "Un enregistrement par acte de décès actif d'une personne de 18 ans ou plus dont l'acte porte un numéro de "
        "CNIE : le numéro, la date du décès, la date d'enregistrement et la référence de l'acte. Données "
        "nominatives réservées à l'autorité chargée des listes électorales, pour radier les électeurs décédés ; "
        "aucune autre colonne."
    ),
    description_ar=(
        "سطر لكل رسم وفاة سار لشخص يبلغ 18 سنة فأكثر يحمل رسمه رقم البطاقة الوطنية: الرقم وتاريخ الوفاة وتاريخ "
        "التسجيل ومرجع الرسم. معطيات اسمية مخصصة للجهة المكلفة باللوائح الانتخابية لشطب الناخبين المتوفين، دون أي "
        "عمود آخر."
    ),
    sectors=("elections",),
    grain="one death act",
    columns=(
        _c("national_id", "string", "Numéro de la CNIE du défunt.", "رقم البطاقة الوطنية للمتوفى."),
        _c("date_of_death", "date", "Date du décès.", "تاريخ الوفاة."),
        _c("registration_date", "date", "Date d'enregistrement de l'acte de décès.", "تاريخ تسجيل رسم الوفاة."),
        _c("death_act_reference", "string", "Référence de l'acte : bureau/année du registre/numéro.",
           "مرجع الرسم: المكتب/سنة السجل/الرقم."),
    ),
    primary_key=("death_act_reference",),
    licence=RESTRICTED_LICENCE,
    cadence="weekly",
    disclosure="identified",
    sources=("fct_death",),
    keywords=("décès", "listes électorales", "CNIE"),
    sql="""
    select
        r.national_id,
        d.event_date as date_of_death,
        d.registration_date,
        d.office_code || '/' || d.register_year || '/' || d.act_number as death_act_reference,
    from fct_death as d
    inner join registry_national_ids as r on r.act_id = d.act_id
    where not d.is_cancelled and d.age_years >= 18
    order by date_of_death, d.act_id
    """,
)


PSEUDONYM = {
    sector: _c("person_pseudonym", "string", f"Pseudonyme de l'enfant, propre au secteur {sector}.",
               f"الاسم المستعار للمولود، خاص بقطاع {sector}.")
    for sector in ("health", "social_protection")
}

# Each sector gets the minimum its purpose needs, and the two extracts must not be linkable
# through the attributes they share (docs/datasets.md, section 3): health keeps the detail
# (month, commune, exact mother's age) that vaccination and maternal-care planning need;
# social protection gets coarser, k-anonymous attributes (datasets/anonymity.py).

BIRTHS_PSEUDONYMIZED_HEALTH = DatasetDefinition(
    name="births_pseudonymized_health",
    title_fr="Naissances individuelles pseudonymisées (santé)",
    title_ar="الولادات الفردية بأسماء مستعارة (الصحة)",
    description_fr=(
        "Une ligne par naissance enregistrée (acte actif), pour la planification des vaccinations et du suivi "
        "maternel : pseudonyme propre au secteur de la santé (HMAC à clé secrète : stable d'une diffusion à l'autre, "
        "impossible à rapprocher de celui d'un autre secteur), mois de naissance (jamais le jour), sexe, commune, "
        "lieu de l'accouchement, naissance multiple et âge de la mère. Aucun nom, aucune date exacte, aucun numéro "
        "d'acte. Lignes triées par pseudonyme : l'ordre ne suit pas l'ordre d'enregistrement."
    ),
    description_ar=(
        "سطر لكل ولادة مسجلة (رسم سار)، لتخطيط التلقيح وتتبع صحة الأم: اسم مستعار خاص بقطاع الصحة (HMAC بمفتاح سري، ثابت "
        "من نشر لآخر ولا يمكن ربطه بما لدى قطاع آخر)، شهر الازدياد (دون اليوم)، الجنس، الجماعة، مكان الولادة، تعدد "
        "المواليد وسن الأم. دون أي اسم أو تاريخ دقيق أو رقم رسم."
    ),
    sectors=("health",),
    grain="one birth act",
    columns=(
        PSEUDONYM["health"],
        _c("birth_month", "yearmonth", "Mois de naissance (AAAA-MM).", "شهر الازدياد (YYYY-MM)."),
        SEX,
        REGION_CODE, PROVINCE_CODE, COMMUNE_CODE,
        _c("event_place_kind", "string", "Lieu de l'accouchement.", "مكان الولادة.",
           ("home", "health_facility", "institution", "public_place", "abroad", "other")),
        _c("plurality", "integer", "Nombre d'enfants nés de l'accouchement (1 = naissance simple).",
           "عدد المواليد في الولادة نفسها (1 = ولادة مفردة)."),
        _c("mother_age", "integer", "Âge de la mère en années révolues.", "سن الأم بالسنوات الكاملة."),
    ),
    primary_key=("person_pseudonym",),
    licence=RESTRICTED_LICENCE,
    cadence="monthly",
    disclosure="pseudonymized",
    sources=("fct_birth",),
    pseudonym_sector="health",
    keywords=("naissances", "pseudonymisé", "health"),
    sql=f"""
    select
        {pseudonyms.sql_expression("birth_act", "act_id")} as person_pseudonym,
        strftime(event_month, '%Y-%m') as birth_month,
        sex,
        region_code,
        province_code,
        commune_code,
        event_place_kind,
        plurality,
        mother_age,
    from fct_birth
    where not is_cancelled
    order by person_pseudonym
    """,
)

BIRTHS_PSEUDONYMIZED_SOCIAL_PROTECTION = DatasetDefinition(
    name="births_pseudonymized_social_protection",
    title_fr="Naissances individuelles pseudonymisées (protection sociale)",
    title_ar="الولادات الفردية بأسماء مستعارة (الحماية الاجتماعية)",
    description_fr=(
        "Une ligne par naissance enregistrée (acte actif), pour la planification des allocations familiales et de "
        "l'aide aux enfants : pseudonyme propre au secteur de la protection sociale (HMAC à clé secrète), trimestre "
        "de naissance, province, groupe d'âge de la mère, naissance multiple et délai d'enregistrement. Pas de "
        f"commune, de mois, de sexe ni d'âge exact : chaque combinaison de ces attributs est partagée par au moins "
        f"{anonymity.K} enfants (k-anonymat), ce qui est obtenu en masquant, pour les combinaisons rares, la "
        "naissance multiple, puis le groupe d'âge, puis le trimestre (l'année reste), puis la province, puis la "
        "région ; generalisation_level indique ce qui a été masqué. Ainsi ce fichier ne peut pas être rapproché "
        "de celui d'un autre secteur par ses attributs."
    ),
    description_ar=(
        "سطر لكل ولادة مسجلة (رسم سار)، لتخطيط التعويضات العائلية ودعم الأطفال: اسم مستعار خاص بقطاع الحماية "
        "الاجتماعية (HMAC بمفتاح سري)، فصل الازدياد، الإقليم، الفئة العمرية للأم، تعدد المواليد وأجل التسجيل. دون "
        f"الجماعة أو الشهر أو الجنس أو السن الدقيق: كل تركيبة من هذه الخصائص يشترك فيها {anonymity.K} أطفال على "
        "الأقل، بحجب تعدد المواليد ثم الفئة العمرية ثم الفصل (تبقى السنة) ثم الإقليم ثم الجهة في التركيبات النادرة؛ "
        "ويبين generalisation_level ما تم حجبه. وبذلك لا يمكن ربط هذا الملف بملف قطاع آخر عبر خصائصه."
    ),
    sectors=("social_protection",),
    grain="one birth act",
    columns=(
        PSEUDONYM["social_protection"],
        _c("birth_period", "string", "Trimestre de naissance (AAAA-Qn), ou l'année seule (AAAA) si le trimestre est "
           "masqué ; vide si masqué.", "فصل الازدياد (YYYY-Qn) أو السنة وحدها (YYYY) إذا حجب الفصل؛ فارغ إذا حجب."),
        _c("region_code", "string", "Code HCP de la région ; vide si masqué ou sans géographie marocaine (naissance "
           "enregistrée par un consulat).", "رمز الجهة؛ فارغ إذا حجب أو للولادات المسجلة لدى القنصليات."),
        _c("province_code", "string", "Code de la province (RR.PPP) ; vide si masqué ou sans géographie marocaine.",
           "رمز الإقليم (RR.PPP)؛ فارغ إذا حجب أو دون جغرافيا مغربية."),
        _c("mother_age_group", "string", "Groupe d'âge de la mère (« unknown » : âge inconnu) ; vide si masqué.",
           "الفئة العمرية للأم (unknown: سن مجهول)؛ فارغ إذا حجب.", anonymity.MOTHER_AGE_GROUPS),
        _c("multiple_birth", "boolean", "Vrai pour une naissance multiple (jumeaux, ...) ; vide si masqué.",
           "صحيح إذا كانت الولادة متعددة (توائم...)؛ فارغ إذا حجب."),
        _c("timeliness_class", "string", "Délai d'enregistrement : on_time (dans le délai légal), late, delayed.",
           "أجل التسجيل: on_time (داخل الأجل القانوني)، late، delayed.", ("on_time", "late", "delayed")),
        _c("generalisation_level", "integer",
           "Attributs masqués pour le k-anonymat : 0 aucun ; 1 naissance multiple ; 2 + groupe d'âge ; 3 + trimestre "
           "(année seule) ; 4 + province ; 5 + région ; 6 tout.",
           "الخصائص المحجوبة: 0 لا شيء؛ 1 تعدد المواليد؛ 2 + الفئة العمرية؛ 3 + الفصل (السنة فقط)؛ 4 + الإقليم؛ "
           "5 + الجهة؛ 6 الكل."),
    ),
    primary_key=("person_pseudonym",),
    licence=RESTRICTED_LICENCE,
    cadence="monthly",
    disclosure="pseudonymized",
    sources=("fct_birth",),
    pseudonym_sector="social_protection",
    k_anonymous=True,
    keywords=("naissances", "pseudonymisé", "social_protection", "k-anonymat"),
    sql=f"""
    select
        {pseudonyms.sql_expression("birth_act", "b.act_id")} as person_pseudonym,
        g.birth_period,
        g.region_code,
        g.province_code,
        g.mother_age_group,
        g.multiple_birth,
        b.timeliness_class,
        g.generalisation_level,
    from fct_birth as b
    inner join qi_groups as g on g.qi_key = {anonymity.key_sql('b')}
    where not b.is_cancelled and g.generalisation_level is not null
    order by person_pseudonym
    """,
)


PSEUDONYMIZED_SECTORS = ("health", "social_protection")

DATASETS: dict[str, DatasetDefinition] = {
    d.name: d
    for d in (
        BIRTHS_COMMUNE_MONTH_SEX,
        DEATHS_PROVINCE_MONTH_SEX_AGE,
        VITAL_EVENTS_REGION_YEAR,
        DECEASED_ADULTS_NATIONAL_ID,
        BIRTHS_PSEUDONYMIZED_HEALTH,
        BIRTHS_PSEUDONYMIZED_SOCIAL_PROTECTION,
    )
}


def get(name: str) -> DatasetDefinition:
    try:
        return DATASETS[name]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; known: {', '.join(sorted(DATASETS))}") from None


def _check() -> None:
    """Catalog invariants, checked at import: a broken entry must not reach a release."""
    for d in DATASETS.values():
        names = [c.name for c in d.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"{d.name}: duplicate column names")
        if not set(d.primary_key) <= set(names):
            raise ValueError(f"{d.name}: primary key {d.primary_key} not among the columns")
        if not set(d.sectors) <= set(SECTORS):
            raise ValueError(f"{d.name}: unknown sector in {d.sectors}")
        if (d.disclosure == "pseudonymized") != (d.pseudonym_sector is not None):
            raise ValueError(f"{d.name}: a pseudonymized dataset names exactly one pseudonym sector")
        if d.disclosure == "pseudonymized" and d.sectors != (d.pseudonym_sector,):
            raise ValueError(f"{d.name}: pseudonyms of one sector go to that sector only")
        if d.disclosure == "identified" and (len(d.sectors) != 1 or d.is_public):
            raise ValueError(f"{d.name}: identified data goes to exactly one sector")
        if d.disclosure == "aggregate_public" and not d.cubes:
            raise ValueError(f"{d.name}: an aggregate must be sliced from a protected cube")
        if d.k_anonymous and d.disclosure != "pseudonymized":
            raise ValueError(f"{d.name}: k-anonymous generalisation applies to person-level extracts")
        unknown = set(d.cubes) - set(CUBES)
        if unknown:
            raise ValueError(f"{d.name}: unknown cubes {unknown}")
    plain = [d.name for d in DATASETS.values() if d.disclosure == "pseudonymized" and not d.k_anonymous]
    if len(plain) > 1:  # two detailed extracts of the same births would link through their attributes
        raise ValueError(f"at most one pseudonymized extract may skip k-anonymity: {plain}")


_check()
