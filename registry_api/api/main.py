"""All routers under /api/v1."""

from __future__ import annotations

import importlib

from fastapi import APIRouter

from registry_api.api.routes import acts, changes, declarations, documents, notifications, offices

api_router = APIRouter()
for module in (acts, changes, declarations, documents, notifications, offices):
    api_router.include_router(module.router)

try:  # curated datasets (issue 7) live in their own module
    api_router.include_router(importlib.import_module("registry_api.api.routes.datasets").router)
except ModuleNotFoundError as exc:  # pragma: no cover - only in a checkout without it
    if exc.name != "registry_api.api.routes.datasets":
        raise
