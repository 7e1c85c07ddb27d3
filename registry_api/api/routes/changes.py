"""The change feed the pipelines read: every change, in an order that never skips one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from registry_api.api.deps import CurrentPrincipal, SessionDep, SettingsDep, require_role
from registry_api.api.routes.acts import mask
from registry_api.core.errors import ERROR_RESPONSES, ApiError
from registry_api.schemas import ChangeFeed
from registry_api.services.changes import Cursor, read_feed

router = APIRouter(prefix="/changes", tags=["changes"], responses=ERROR_RESPONSES)


@router.get("", response_model=ChangeFeed)
def change_feed(
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    after: Annotated[str | None, Query(description="`next_cursor` of the previous page; omit or 0 to start", max_length=48)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
):
    """Changes after the cursor. On PostgreSQL a change whose transaction is still open is held
    back (with everything after it) until that transaction ends, so a reader never skips it."""
    require_role(principal, "admin", "analyst")
    try:
        cursor = Cursor.parse(after)
    except ValueError:
        raise ApiError.one(422, "invalid_cursor", "query", "after") from None
    page = read_feed(session, cursor, min(limit, settings.MAX_PAGE))
    return {
        "data": [mask(r, principal) for r in page.rows],
        "next_cursor": str(page.next_cursor),
        "has_more": page.has_more,
        "horizon": page.horizon,
    }
