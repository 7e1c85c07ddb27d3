"""One error format for every 4xx, with field paths and a message in French or Arabic.

``{"detail": [{"loc": ["body", "acts", 3, "event_date"], "code": "event_in_future", "msg": "..."}]}``
The language follows ``Accept-Language`` (``ar`` or ``fr``; French by default).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

MESSAGES: dict[str, dict[str, str]] = {
    # authentication and scope
    "not_authenticated": {"fr": "Jeton d'accès manquant ou invalide.", "ar": "رمز الولوج مفقود أو غير صالح."},
    "forbidden": {"fr": "Action non autorisée pour ce jeton.", "ar": "هذا الإجراء غير مسموح به لهذا الرمز."},
    "out_of_scope": {"fr": "Hors du périmètre de ce jeton ({scope}).", "ar": "خارج نطاق هذا الرمز ({scope})."},
    # lookups
    "not_found": {"fr": "{what} introuvable.", "ar": "{what} غير موجود."},
    "unknown_office": {"fr": "Bureau d'état civil inconnu : {value}.", "ar": "مكتب الحالة المدنية غير معروف: {value}."},
    "unknown_commune": {"fr": "Commune inconnue : {value}.", "ar": "جماعة غير معروفة: {value}."},
    "unknown_province": {"fr": "Province inconnue : {value}.", "ar": "إقليم غير معروف: {value}."},
    "office_not_live": {
        "fr": "Le bureau {value} n'est pas encore raccordé au registre électronique (depuis le {since}).",
        "ar": "المكتب {value} غير مرتبط بعد بالسجل الإلكتروني (ابتداء من {since}).",
    },
    # concurrency and idempotency
    "stale_version": {
        "fr": "Version périmée : l'acte est en version {current}, vous avez envoyé {sent}. Relisez puis réessayez.",
        "ar": "نسخة متجاوزة: النسخة الحالية {current} والمرسلة {sent}. أعد القراءة ثم حاول مجددا.",
    },
    "idempotency_key_reused": {
        "fr": "Cette clé d'idempotence a déjà servi pour une autre requête.",
        "ar": "مفتاح عدم التكرار هذا استعمل لطلب مختلف.",
    },
    "idempotency_in_progress": {"fr": "Requête identique en cours ; réessayez.", "ar": "طلب مماثل قيد المعالجة؛ أعد المحاولة."},
    "invalid_state": {
        "fr": "Impossible depuis l'état « {state} ».", "ar": "غير ممكن انطلاقا من الحالة «{state}».",
    },
    # domain rules
    "event_in_future": {"fr": "La date de l'événement est dans le futur.", "ar": "تاريخ الواقعة في المستقبل."},
    "date_in_future": {"fr": "Cette date est dans le futur.", "ar": "هذا التاريخ في المستقبل."},
    "event_after_registration": {
        "fr": "L'événement ne peut pas être postérieur à l'enregistrement.", "ar": "لا يمكن أن تكون الواقعة بعد التسجيل.",
    },
    "birth_after_death": {"fr": "La date de naissance est postérieure au décès.", "ar": "تاريخ الازدياد بعد تاريخ الوفاة."},
    "birth_date_mismatch": {
        "fr": "Pour un acte de naissance, la date de naissance est la date de l'événement.",
        "ar": "في رسم الولادة، تاريخ الازدياد هو تاريخ الواقعة.",
    },
    "age_mismatch": {
        "fr": "L'âge déclaré ({value}) ne correspond pas aux dates (attendu {expected}).",
        "ar": "السن المصرح به ({value}) لا يطابق التواريخ (المتوقع {expected}).",
    },
    "implausible_age": {
        "fr": "Âge non plausible : {value} (attendu entre {min} et {max}).",
        "ar": "سن غير معقول: {value} (المتوقع بين {min} و{max}).",
    },
    "not_for_birth": {"fr": "Ce champ ne s'applique pas à un acte de naissance.", "ar": "هذا الحقل لا ينطبق على رسم الولادة."},
    "required": {"fr": "Champ obligatoire.", "ar": "حقل إلزامي."},
    "required_for_judgment": {
        "fr": "Obligatoire pour un enregistrement par jugement déclaratif.",
        "ar": "إلزامي في التسجيل بحكم تصريحي.",
    },
    "judgment_required": {
        "fr": "Délai légal dépassé ({deadline}) : l'enregistrement exige un jugement déclaratif.",
        "ar": "تم تجاوز الأجل القانوني ({deadline}): التسجيل يتطلب حكما تصريحيا.",
    },
    "deadline_passed": {
        "fr": "Le délai de déclaration est dépassé ({deadline}) : adressez-vous au tribunal.",
        "ar": "انقضى أجل التصريح ({deadline}): يرجى التوجه إلى المحكمة.",
    },
    "invalid_declarant": {
        "fr": "Déclarant non admis pour ce type d'acte : {value}.", "ar": "المصرح غير مقبول لهذا النوع من الرسوم: {value}.",
    },
    "national_id_minor": {
        "fr": "Pas de CNIE avant 16 ans.", "ar": "لا تمنح البطاقة الوطنية قبل 16 سنة.",
    },
    "act_type_mismatch": {"fr": "L'acte {value} n'est pas un acte de naissance.", "ar": "الرسم {value} ليس رسم ولادة."},
    "act_cancelled": {"fr": "L'acte {value} est annulé.", "ar": "الرسم {value} ملغى."},
    "field_not_changeable": {
        "fr": "Ce champ ne peut pas être modifié par une mention ou une rectification.",
        "ar": "لا يمكن تغيير هذا الحقل بتعديل أو تصحيح.",
    },
    "extract_at_holding_office": {
        "fr": "L'extrait ne se délivre qu'au bureau qui détient l'acte ({value}).",
        "ar": "لا تسلم النسخة الموجزة إلا بالمكتب الحاضن للرسم ({value}).",
    },
    "batch_too_large": {"fr": "Lot trop grand : {value} actes (maximum {max}).", "ar": "دفعة كبيرة جدا: {value} رسما (الحد الأقصى {max})."},
    "document_too_large": {"fr": "Pièce trop volumineuse (maximum {max} octets).", "ar": "الوثيقة كبيرة جدا (الحد الأقصى {max} بايت)."},
    "invalid_base64": {"fr": "Contenu base64 invalide.", "ar": "محتوى base64 غير صالح."},
    "invalid_cursor": {"fr": "Curseur invalide : utilisez next_cursor.", "ar": "مؤشر غير صالح: استعمل next_cursor."},
    "marriage_age": {
        "fr": "Âge au mariage hors des bornes légales : {value} (minimum {min}).",
        "ar": "سن الزواج خارج الحدود القانونية: {value} (الحد الأدنى {min}).",
    },
    # generic validation (pydantic error types)
    "missing": {"fr": "Champ obligatoire.", "ar": "حقل إلزامي."},
    "extra_forbidden": {"fr": "Champ non autorisé.", "ar": "حقل غير مسموح به."},
    "literal_error": {"fr": "Valeur non admise ; attendu : {expected}.", "ar": "قيمة غير مقبولة؛ المتوقع: {expected}."},
    "string_pattern_mismatch": {"fr": "Format invalide.", "ar": "صيغة غير صالحة."},
    "string_too_short": {"fr": "Texte trop court.", "ar": "نص قصير جدا."},
    "string_too_long": {"fr": "Texte trop long.", "ar": "نص طويل جدا."},
    "too_short": {"fr": "Liste trop courte.", "ar": "قائمة قصيرة جدا."},
    "too_long": {"fr": "Liste trop longue.", "ar": "قائمة طويلة جدا."},
    "json_invalid": {"fr": "JSON invalide.", "ar": "JSON غير صالح."},
    "invalid_value": {"fr": "Valeur invalide.", "ar": "قيمة غير صالحة."},
}


def message(code: str, lang: str, **params: Any) -> str:
    entry = MESSAGES.get(code) or MESSAGES["invalid_value"]
    text = entry.get(lang) or entry["fr"]
    try:
        return text.format(**params)
    except (KeyError, IndexError):
        return text


def language(accept_language: str | None) -> str:
    """``ar`` if the client prefers Arabic, else French."""
    if not accept_language:
        return "fr"
    for part in accept_language.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("ar"):
            return "ar"
        if tag.startswith("fr"):
            return "fr"
    return "fr"


@dataclass
class FieldError:
    loc: tuple[str | int, ...]
    code: str
    params: dict[str, Any] = field(default_factory=dict)


class ApiError(Exception):
    """A 4xx raised anywhere below the routes; rendered by the app's exception handler."""

    def __init__(self, status_code: int, errors: list[FieldError] | FieldError, headers: dict[str, str] | None = None):
        self.status_code = status_code
        self.errors = errors if isinstance(errors, list) else [errors]
        self.headers = headers
        super().__init__(", ".join(e.code for e in self.errors))

    @classmethod
    def one(cls, status_code: int, code: str, *loc: str | int, **params: Any) -> ApiError:
        return cls(status_code, FieldError(tuple(loc), code, params))


def raise_if(errors: list[FieldError], status_code: int = 422) -> None:
    if errors:
        raise ApiError(status_code, errors)


class ErrorItem(BaseModel):
    loc: list[str | int]
    code: str
    msg: str


class ErrorResponse(BaseModel):
    detail: list[ErrorItem]


def _resp(desc: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": desc}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _resp("Missing or invalid bearer token"),
    403: _resp("Outside the token's role or scope"),
    422: _resp("Invalid input: each error has a field path, a code and a message in French or Arabic"),
}
NOT_FOUND = {404: _resp("No such resource (or not visible to this token)")}
CONFLICT = {409: _resp("Stale version (optimistic concurrency) or invalid state transition; re-read and retry")}
