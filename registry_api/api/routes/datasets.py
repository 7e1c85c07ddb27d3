"""Curated datasets for other administrations: the catalog a caller may see, the releases of a
dataset, and streamed downloads, each one logged (token, role, sector, dataset, version, file).

Who sees what:
- ``sector`` tokens: only datasets granted to their sector, plus public ones; others are 404
  (the catalog does not reveal what other sectors receive);
- ``analyst`` and ``admin``: the whole catalog's metadata; analysts download aggregates only
  (person-level files go to their sector; analysts never receive direct identifiers);
- every other role: 403.
Files are served from the release folder only when the release's own descriptor lists them,
so no path from the URL reaches the file system unchecked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import BaseModel

from registry_api.api.deps import CurrentPrincipal, RegistryDep, SettingsDep
from registry_api.core.config import Settings
from registry_api.core.errors import ERROR_RESPONSES, NOT_FOUND, ApiError
from registry_api.core.security import Principal
from registry_api.models import DatasetDownload

router = APIRouter(prefix="/datasets", tags=["datasets"], responses=ERROR_RESPONSES)

CATALOG_ROLES = ("admin", "analyst", "sector")
NameParam = Annotated[str, PathParam(pattern=r"^[a-z0-9_]{1,64}$", description="dataset name")]
VersionParam = Annotated[str, PathParam(pattern=r"^([0-9a-f]{16}|latest)$", description="a version, or `latest`")]
FileParam = Annotated[str, PathParam(pattern=r"^[a-z0-9_][a-z0-9_.-]{0,119}$", description="a file listed by the release")]
MEDIA_TYPES = {".parquet": "application/vnd.apache.parquet", ".csv": "text/csv; charset=utf-8", ".json": "application/json"}


class DatasetFilePublic(BaseModel):
    name: str
    format: str
    bytes: int | None = None
    hash: str | None = None


class DatasetVersionPublic(BaseModel):
    version: str
    is_latest: bool
    data_as_of: str | None
    rows: int | None
    definition_hash: str | None
    files: list[DatasetFilePublic]


class DatasetPublic(BaseModel):
    name: str
    title_fr: str
    title_ar: str
    description_fr: str
    description_ar: str
    sectors: list[str]
    grain: str
    disclosure: str
    licence: dict[str, str]
    cadence: str
    columns: list[dict[str, Any]]
    primary_key: list[str]
    keywords: list[str]
    downloadable: bool
    latest_version: str | None
    data_as_of: str | None


class DatasetsPublic(BaseModel):
    count: int
    data: list[DatasetPublic]


class DatasetDetailPublic(DatasetPublic):
    versions: list[DatasetVersionPublic]


def _root(settings: Settings) -> Path:
    from datasets.release import releases_root

    return releases_root(settings)


def _require_catalog_role(principal: Principal) -> None:
    if principal.role not in CATALOG_ROLES:
        raise ApiError.one(403, "forbidden", "header", "authorization")


def _visible(principal: Principal, defn: Any) -> bool:
    if principal.role in ("admin", "analyst"):
        return True
    return principal.role == "sector" and defn.visible_to_sector(principal.sector_code)


def _downloadable(principal: Principal, defn: Any) -> bool:
    if not _visible(principal, defn):
        return False
    if principal.role == "analyst":
        return defn.disclosure == "aggregate_public"
    return True


def _definition(principal: Principal, name: str) -> Any:
    from datasets import catalog

    defn = catalog.DATASETS.get(name)
    if defn is None or not _visible(principal, defn):
        raise ApiError.one(404, "not_found", "path", "name", what=name)
    return defn


def _public(principal: Principal, defn: Any, root: Path) -> dict[str, Any]:
    from datasets.release import latest_version, read_descriptor

    latest = latest_version(root, defn.name)
    desc = read_descriptor(root, defn.name, latest) if latest else None
    return {
        **defn.metadata(),
        "downloadable": _downloadable(principal, defn),
        "latest_version": latest,
        "data_as_of": desc["civstat"].get("data_as_of") if desc else None,
    }


@router.get("", response_model=DatasetsPublic)
def list_datasets(principal: CurrentPrincipal, settings: SettingsDep):
    """The datasets this token may see, with their latest release."""
    from datasets import catalog

    _require_catalog_role(principal)
    root = _root(settings)
    data = [_public(principal, d, root) for d in catalog.DATASETS.values() if _visible(principal, d)]
    return {"count": len(data), "data": data}


@router.get("/{name}", response_model=DatasetDetailPublic, responses=NOT_FOUND)
def get_dataset(name: NameParam, principal: CurrentPrincipal, settings: SettingsDep):
    """A dataset's definition and every release of it (newest data first)."""
    from datasets.release import list_versions

    _require_catalog_role(principal)
    defn = _definition(principal, name)
    root = _root(settings)
    return {**_public(principal, defn, root), "versions": list_versions(root, name)}


@router.get(
    "/{name}/{version}/{file}",
    responses={**NOT_FOUND, 200: {"description": "The file, streamed", "content": {"application/octet-stream": {}}}},
    response_class=FileResponse,
)
def download(
    name: NameParam, version: VersionParam, file: FileParam, principal: CurrentPrincipal, settings: SettingsDep,
    registry: RegistryDep,
):
    """Stream one file of a release (`latest` resolves to the newest). Every download is logged
    before the first byte leaves: who (token id, role, sector), what (dataset, version, file), when."""
    from datasets.release import latest_version, read_descriptor, release_file

    _require_catalog_role(principal)
    defn = _definition(principal, name)
    if not _downloadable(principal, defn):
        raise ApiError.one(403, "forbidden", "path", "name")
    root = _root(settings)
    resolved = latest_version(root, name) if version == "latest" else version
    path = release_file(root, name, resolved, file) if resolved else None
    if path is None:
        raise ApiError.one(404, "not_found", "path", "file", what=f"{name}/{version}/{file}")
    with registry.session() as s:
        s.add(DatasetDownload(
            token_id=principal.token_id, role=principal.role, sector_code=principal.sector_code,
            dataset_name=name, dataset_version=resolved, file_name=file,
        ))
    desc = read_descriptor(root, name, resolved) or {}  # type: ignore[arg-type]
    digest = next((r["hash"] for r in desc.get("resources", []) if r["path"] == file), None)
    headers = {"Cache-Control": "private, max-age=31536000, immutable"}  # a version never changes
    if digest:
        headers["X-Content-SHA256"] = digest.removeprefix("sha256:")
    stem = file[len(name):] if file.startswith(name + ".") else f"-{file}"
    return FileResponse(
        path, media_type=MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
        filename=f"{name}-{resolved}{stem}", headers=headers,
    )
