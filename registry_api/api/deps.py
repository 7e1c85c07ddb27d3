"""Typed dependencies shared by the routes: the registry, the caller, sessions, write helper."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Annotated, Any

import orjson
from fastapi import Depends, Header, Path, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from registry_api.core.config import Settings
from registry_api.core.db import Registry
from registry_api.core.errors import ApiError
from registry_api.core.security import Principal, hash_token, principal_for
from registry_api.services import idempotency

_TOKEN_TTL_S = 10.0  # a revoked token stops working within this many seconds


def get_registry(request: Request) -> Registry:
    return request.app.state.registry


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


RegistryDep = Annotated[Registry, Depends(get_registry)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


# Declared as an HTTP bearer scheme, so the OpenAPI document says how to authenticate and the
# Swagger UI at /docs has an "Authorize" button (a plain Authorization header parameter is
# ignored by OpenAPI tools). auto_error=False: the 401 is ours, with its field path and language.
BEARER = HTTPBearer(auto_error=False, description="A token from `civstat token create`, sent as `Authorization: Bearer <token>`.")


def get_principal(
    request: Request, registry: RegistryDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None,
) -> Principal:
    if credentials is None or not credentials.credentials.strip():
        raise ApiError.one(401, "not_authenticated", "header", "authorization")
    token = credentials.credentials.strip()
    cache: dict[str, tuple[float, Principal | None]] = request.app.state.token_cache
    key = hash_token(token)
    hit = cache.get(key)
    if hit is None or time.monotonic() - hit[0] > _TOKEN_TTL_S:
        with registry.session(write=False) as s:
            hit = (time.monotonic(), principal_for(s, token))
        if len(cache) > 10_000:
            cache.clear()
        cache[key] = hit
    if hit[1] is None:
        raise ApiError.one(401, "not_authenticated", "header", "authorization")
    return hit[1]


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def read_session(registry: RegistryDep) -> Iterator[Session]:
    with registry.session(write=False) as s:
        yield s


SessionDep = Annotated[Session, Depends(read_session)]
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=128, description="Retry-safe key: a retry returns the first response"),
]


def require_role(principal: Principal, *roles: str) -> None:
    if principal.role not in roles:
        raise ApiError.one(403, "forbidden", "header", "authorization")


def run_write(
    registry: Registry,
    principal: Principal,
    idem_key: str | None,
    request: Request,
    payload: BaseModel | None,
    fn: Callable[[Session], Any],
    status_code: int = 201,
) -> Response:
    """Run ``fn`` in one write transaction; with an Idempotency-Key, replay the first response.
    The body is made JSON-ready by orjson (FastAPI's ``jsonable_encoder`` only for what orjson
    does not know, e.g. pydantic models): on the single-act path jsonable_encoder cost more
    than the three SQL statements."""
    fp = idempotency.fingerprint(request.method, request.url.path,
                                 payload.model_dump_json() if payload else "") if idem_key else ""
    return write_idempotent(registry, principal, idem_key, fp, lambda s: json_ready(fn(s)), status_code)


def json_ready(body: Any) -> Any:
    """``body`` as plain JSON values (what is stored for an idempotent replay)."""
    return orjson.loads(orjson.dumps(body, default=jsonable_encoder))


def orjson_response(body: Any, status_code: int, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status_code, media_type="application/json", headers=headers)


def write_idempotent(
    registry: Registry,
    principal: Principal,
    idem_key: str | None,
    fingerprint: str,
    fn: Callable[[Session], Any],
    status_code: int = 201,
) -> Response:
    """The write transaction behind every POST: ``fn`` returns the JSON-ready body; with an
    Idempotency-Key the first response is stored in the same transaction and replayed (a
    concurrent claim of the same key is retried, then 409). Rendered with orjson."""
    for _attempt in range(5):
        try:
            with registry.session() as s:
                if idem_key:
                    stored = idempotency.claim(s, principal.token_id, idem_key, fingerprint)
                    if stored is not None:
                        return orjson_response(stored.body, stored.status_code, headers={"Idempotent-Replayed": "true"})
                body = fn(s)
                if idem_key:
                    idempotency.store(s, principal.token_id, idem_key, status_code, body)
            return orjson_response(body, status_code)
        except idempotency.KeyRace:
            time.sleep(0.01)
    raise ApiError.one(409, "idempotency_in_progress", "header", "idempotency-key")


def page_params(limit: int, offset: int, settings: Settings) -> tuple[int, int]:
    return min(limit, settings.MAX_PAGE), offset

IdPath = Annotated[int, Path(ge=1, le=2**53 - 1, description="Numeric id")]


def scoped(q: Select[Any], principal: Principal, office_column: Any, office_code: str | None) -> Select[Any]:
    """Restrict a listing to what the caller may read: its office (officer), its province
    (supervisor), everything (analyst, admin); an explicit ``office_code`` outside that is 403."""
    from registry_api.models import Office

    if principal.role == "officer":
        if office_code not in (None, principal.office_code):
            raise ApiError.one(403, "out_of_scope", "query", "office_code", scope=principal.office_code)
        return q.where(office_column == principal.office_code)
    if principal.role == "supervisor":
        q = q.join(Office, Office.office_code == office_column).where(Office.province_code == principal.province_code)
    if office_code:
        q = q.where(office_column == office_code)
    return q


def paginate(
    session: Session, q: Select[Any], order_by: Sequence[Any], limit: int, offset: int, present: Callable[[Any], Any]
) -> dict[str, Any]:
    """One page of a listing: the total count for the filters, then the ordered rows, presented."""
    count = session.scalar(select(func.count()).select_from(q.subquery()))
    rows = session.scalars(q.order_by(*order_by).limit(limit).offset(offset)).all()
    return {"count": count, "limit": limit, "offset": offset, "data": [present(r) for r in rows]}
