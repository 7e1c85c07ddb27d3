"""GET /api/v1/datasets…: per-sector scope, role rules, streamed downloads that match the
release checksums, a log row per download, and no way out of the release folder."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from datasets import catalog
from registry_api.core.db import Registry
from registry_api.core.security import create_token
from registry_api.main import create_app
from registry_api.models import DatasetDownload
from tests.datasets.conftest import Released

BASE = "/api/v1/datasets"


@pytest.fixture(scope="module")
def api(released: Released) -> Iterator[tuple[TestClient, Registry]]:
    app = create_app(released.settings)
    with TestClient(app) as client:
        yield client, app.state.registry


@pytest.fixture(scope="module")
def tokens(api: tuple[TestClient, Registry]) -> dict[str, tuple[str, int]]:
    _, registry = api
    out = {}
    with registry.session() as s:
        for label, role, kw in [
            ("health", "sector", {"sector_code": "health"}),
            ("social_protection", "sector", {"sector_code": "social_protection"}),
            ("elections", "sector", {"sector_code": "elections"}),
            ("public", "sector", {"sector_code": "public"}),
            ("analyst", "analyst", {}),
            ("admin", "admin", {}),
            ("officer", "officer", {"office_code": "11.161.01.01"}),
        ]:
            token, row = create_token(s, role, label=f"test {label}", **kw)
            out[label] = (token, row.token_id)
    return out


def _h(tokens: dict[str, tuple[str, int]], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[who][0]}"}


def _expected_names(sector: str) -> set[str]:
    return {n for n, d in catalog.DATASETS.items() if sector in d.sectors or "public" in d.sectors}


@pytest.mark.parametrize("sector", ["health", "social_protection", "elections", "public"])
def test_a_sector_sees_only_its_datasets(api, tokens, sector: str) -> None:  # type: ignore[no-untyped-def]
    client, _ = api
    body = client.get(BASE, headers=_h(tokens, sector)).json()
    names = {d["name"] for d in body["data"]}
    assert names == _expected_names(sector) and body["count"] == len(names)
    assert all(d["latest_version"] and d["downloadable"] for d in body["data"])
    for hidden in set(catalog.DATASETS) - names:
        assert client.get(f"{BASE}/{hidden}", headers=_h(tokens, sector)).status_code == 404
        assert client.get(f"{BASE}/{hidden}/latest/{hidden}.csv", headers=_h(tokens, sector)).status_code == 404


def test_expected_scopes_are_what_the_issue_asks(api, tokens) -> None:  # type: ignore[no-untyped-def]
    assert "deceased_adults_national_id" in _expected_names("elections")
    assert "deceased_adults_national_id" not in _expected_names("health")
    assert "births_pseudonymized_health" not in _expected_names("social_protection")
    assert "births_pseudonymized_social_protection" not in _expected_names("health")
    assert _expected_names("public") == {"vital_events_region_year"}


def test_analysts_see_everything_but_download_aggregates_only(api, tokens, released: Released) -> None:  # type: ignore[no-untyped-def]
    client, _ = api
    body = client.get(BASE, headers=_h(tokens, "analyst")).json()
    assert {d["name"] for d in body["data"]} == set(catalog.DATASETS)
    downloadable = {d["name"] for d in body["data"] if d["downloadable"]}
    assert downloadable == {n for n, d in catalog.DATASETS.items() if d.disclosure == "aggregate_public"}
    for name in ("deceased_adults_national_id", "births_pseudonymized_health"):
        resp = client.get(f"{BASE}/{name}/latest/{name}.csv", headers=_h(tokens, "analyst"))
        assert resp.status_code == 403 and resp.json()["detail"][0]["code"] == "forbidden"
    ok = client.get(f"{BASE}/births_commune_month_sex/latest/births_commune_month_sex.parquet", headers=_h(tokens, "analyst"))
    assert ok.status_code == 200


def test_other_roles_and_anonymous_callers_are_refused(api, tokens) -> None:  # type: ignore[no-untyped-def]
    client, _ = api
    assert client.get(BASE, headers=_h(tokens, "officer")).status_code == 403
    assert client.get(f"{BASE}/vital_events_region_year", headers=_h(tokens, "officer")).status_code == 403
    assert client.get(BASE).status_code == 401
    assert client.get(BASE, headers={"Authorization": "Bearer cst_nope"}).status_code == 401


def test_versions_endpoint_lists_releases_with_checksums(api, tokens, released: Released) -> None:  # type: ignore[no-untyped-def]
    client, _ = api
    r = released.results["births_commune_month_sex"]
    body = client.get(f"{BASE}/births_commune_month_sex", headers=_h(tokens, "health")).json()
    assert body["latest_version"] == r.version and body["grain"] == "commune_code × month_start × sex"
    assert body["title_ar"] and body["columns"][0]["name"] == "month_start"
    (v,) = [v for v in body["versions"] if v["version"] == r.version]
    assert v["is_latest"] and v["rows"] == r.rows
    assert {f["name"]: f.get("hash") for f in v["files"] if f.get("hash")} == r.files


def test_download_streams_the_released_bytes_and_is_logged(api, tokens, released: Released) -> None:  # type: ignore[no-untyped-def]
    client, registry = api
    r = released.results["deceased_adults_national_id"]
    token_id = tokens["elections"][1]
    for version in ("latest", r.version):
        with client.stream("GET", f"{BASE}/deceased_adults_national_id/{version}/deceased_adults_national_id.csv",
                           headers=_h(tokens, "elections")) as resp:
            assert resp.status_code == 200
            data = b"".join(resp.iter_bytes())
        assert f"sha256:{hashlib.sha256(data).hexdigest()}" == r.files["deceased_adults_national_id.csv"]
        assert resp.headers["x-content-sha256"] == hashlib.sha256(data).hexdigest()
        assert resp.headers["content-type"].startswith("text/csv")
        assert f"deceased_adults_national_id-{r.version}.csv" in resp.headers["content-disposition"]
    desc = client.get(f"{BASE}/deceased_adults_national_id/{r.version}/datapackage.json", headers=_h(tokens, "elections"))
    assert desc.status_code == 200 and desc.json()["version"] == r.version
    with registry.session(write=False) as s:
        logs = s.scalars(select(DatasetDownload).where(DatasetDownload.token_id == token_id)
                         .order_by(DatasetDownload.download_id)).all()
    assert [(d.role, d.sector_code, d.dataset_name, d.dataset_version, d.file_name) for d in logs] == [
        ("sector", "elections", "deceased_adults_national_id", r.version, "deceased_adults_national_id.csv"),
        ("sector", "elections", "deceased_adults_national_id", r.version, "deceased_adults_national_id.csv"),
        ("sector", "elections", "deceased_adults_national_id", r.version, "datapackage.json"),
    ]  # "latest" is logged as the version actually served
    assert all(d.downloaded_at is not None for d in logs)


def test_refused_and_missing_downloads_are_not_logged(api, tokens) -> None:  # type: ignore[no-untyped-def]
    client, registry = api
    token_id = tokens["social_protection"][1]
    client.get(f"{BASE}/deceased_adults_national_id/latest/deceased_adults_national_id.csv", headers=_h(tokens, "social_protection"))
    client.get(f"{BASE}/vital_events_region_year/latest/nothing.csv", headers=_h(tokens, "social_protection"))
    with registry.session(write=False) as s:
        assert not s.scalars(select(DatasetDownload).where(DatasetDownload.token_id == token_id)).all()


@pytest.mark.parametrize(
    "path",
    [
        "/vital_events_region_year/latest/../../registry.sqlite",
        "/vital_events_region_year/latest/..%2F..%2Fregistry.sqlite",
        "/vital_events_region_year/latest/%2e%2e",
        "/vital_events_region_year/latest/.hidden",
        "/vital_events_region_year/0000000000000000/vital_events_region_year.csv",
        "/vital_events_region_year/LATEST/vital_events_region_year.csv",
        "/vital_events_region_year/latest/LATEST",
        "/vital_events_region_year/latest/births_commune_month_sex.csv",
        "/nope/latest/nope.csv",
        "/..%2F..%2Fpublished/latest/CURRENT",
    ],
)
def test_no_path_leaves_the_release_folder(api, tokens, path: str) -> None:  # type: ignore[no-untyped-def]
    client, _ = api
    resp = client.get(BASE + path, headers=_h(tokens, "public"))
    assert resp.status_code in (404, 422), (path, resp.status_code)
    assert b"sqlite" not in resp.content.lower() or resp.status_code != 200


def test_a_file_in_the_folder_but_not_in_the_descriptor_is_not_served(api, tokens, released: Released) -> None:  # type: ignore[no-untyped-def]
    client, _ = api
    r = released.results["vital_events_region_year"]
    stray = r.path / "notes.txt"
    stray.write_text("not part of the release")
    try:
        assert client.get(f"{BASE}/vital_events_region_year/{r.version}/notes.txt", headers=_h(tokens, "public")).status_code == 404
    finally:
        stray.unlink()


def test_errors_use_the_api_error_format_in_arabic(api, tokens) -> None:  # type: ignore[no-untyped-def]
    client, _ = api
    resp = client.get(f"{BASE}/deceased_adults_national_id", headers={**_h(tokens, "health"), "Accept-Language": "ar"})
    assert resp.status_code == 404
    item = resp.json()["detail"][0]
    assert item["code"] == "not_found" and "غير موجود" in item["msg"]
