"""The registry API application factory."""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from registry_api.api.main import api_router
from registry_api.core.config import Settings, get_settings
from registry_api.core.db import Registry, upgrade
from registry_api.core.errors import ApiError, language, message
from registry_api.services.geography import seed_geography

log = logging.getLogger("civstat.api")

_PYDANTIC_CODES = {
    "missing", "extra_forbidden", "literal_error", "string_pattern_mismatch", "string_too_short", "string_too_long",
    "too_short", "too_long", "json_invalid",
}


def _error_body(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"detail": items}


class AccessLog:
    """Access log: method, route template, status and duration only (no query values, bodies or
    tokens). A plain ASGI middleware: Starlette's ``@app.middleware("http")`` wraps every request
    in a task group and memory streams, which cost ~1 ms a request on the single-act path."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_status(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            log.info("%s %s %s %.1fms", scope["method"], getattr(route, "path", "?"), status,
                     (time.perf_counter() - start) * 1000)


DOCS_ASSETS = "/docs-assets"


def _self_hosted_docs(app: FastAPI) -> None:
    """Swagger UI at /docs and ReDoc at /redoc with their JavaScript, CSS and icon served by the
    API (the files of the fastapi-offline package), nothing fetched from a CDN or Google Fonts
    (FastAPI's "self-hosting JavaScript and CSS for docs")."""
    from pathlib import Path

    import fastapi_offline
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles

    assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount(DOCS_ASSETS, StaticFiles(directory=assets), name="docs-assets")
    title = app.title

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{title} - Swagger UI",
            oauth2_redirect_url=f"{root}{app.swagger_ui_oauth2_redirect_url}",
            swagger_js_url=f"{root}{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png",
        )

    @app.get(app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect", include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}", title=f"{title} - ReDoc",
            redoc_js_url=f"{root}{DOCS_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{DOCS_ASSETS}/favicon.png", with_google_fonts=False,
        )


def create_app(settings: Settings | None = None, *, migrate: bool = True) -> FastAPI:
    settings = settings or get_settings()
    registry = Registry(settings.registry_url)
    if migrate:
        upgrade(registry.engine)
        with registry.session() as s:
            seed_geography(s)

    app = FastAPI(
        title="civstat registry API",
        version="1.0",
        description=(
            "Civil-status acts (births, deaths), every change to them (append-only change log), "
            "preliminary declarations, document requests, court family events and inter-office "
            "notifications. Every call needs `Authorization: Bearer <token>`; every POST accepts "
            "`Idempotency-Key`. Errors carry field paths and a message in French or Arabic "
            "(`Accept-Language: ar`)."
        ),
        openapi_url="/openapi.json",
        docs_url=None,  # served below from local assets: a data center has no CDN, and a
        redoc_url=None,  # documentation page must not call third parties
    )
    _self_hosted_docs(app)
    app.state.settings = settings
    app.state.registry = registry
    app.state.token_cache = {}

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        lang = language(request.headers.get("accept-language"))
        items = [{"loc": list(e.loc), "code": e.code, "msg": message(e.code, lang, **e.params)} for e in exc.errors]
        return JSONResponse(_error_body(items), exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        lang = language(request.headers.get("accept-language"))
        items = []
        for e in exc.errors():
            code = e["type"] if e["type"] in _PYDANTIC_CODES else "invalid_value"
            ctx = {k: str(v) for k, v in (e.get("ctx") or {}).items()}
            text = message(code, lang, **ctx)
            if code == "invalid_value":
                text = f"{text} ({e['msg']})"
            items.append({"loc": list(e["loc"]), "code": code, "msg": text})
        return JSONResponse(_error_body(items), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        lang = language(request.headers.get("accept-language"))
        code = "not_found" if exc.status_code == 404 else "invalid_value"
        return JSONResponse(_error_body([{"loc": ["path"], "code": code, "msg": message(code, lang, what=request.url.path)}]), exc.status_code)

    app.add_middleware(AccessLog)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """Liveness and database reachability."""
        from sqlalchemy import text

        with registry.session(write=False) as s:
            s.execute(text("select 1"))
        return {"status": "ok", "database": registry.dialect}

    app.include_router(api_router, prefix="/api/v1")
    return app
