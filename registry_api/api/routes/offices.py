"""Civil-status offices and their geography (HCP codes, Arabic and French names)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlalchemy import select

from registry_api.api.deps import CurrentPrincipal, SessionDep, paginate
from registry_api.core.errors import ERROR_RESPONSES, NOT_FOUND, ApiError
from registry_api.models import Office
from registry_api.schemas import OfficePublic, OfficesPublic

router = APIRouter(prefix="/offices", tags=["offices"], responses=ERROR_RESPONSES)


@router.get("", response_model=OfficesPublic)
def list_offices(
    _principal: CurrentPrincipal,
    session: SessionDep,
    region_code: str | None = None,
    province_code: str | None = None,
    office_kind: Literal["communal", "arrondissement", "consular"] | None = None,
    live: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=2000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
):
    q = select(Office)
    for col, value in ((Office.region_code, region_code), (Office.province_code, province_code), (Office.office_kind, office_kind)):
        if value is not None:
            q = q.where(col == value)
    if live is not None:
        q = q.where(Office.live_since.is_not(None) if live else Office.live_since.is_(None))
    return paginate(session, q, (Office.office_code,), limit, offset, lambda o: o.as_dict())


@router.get("/{office_code}", response_model=OfficePublic, responses=NOT_FOUND)
def read_office(office_code: str, _principal: CurrentPrincipal, session: SessionDep):
    office = session.get(Office, office_code)
    if office is None:
        raise ApiError.one(404, "unknown_office", "path", "office_code", value=office_code)
    return office.as_dict()
