"""The dependency trap: dbt-core 1.12 cannot install offline and pip silently falls back to
dbt-core 1.5 / dagster-dbt 0.11. Fail loudly if the resolved versions drift."""

from __future__ import annotations

from importlib.metadata import version

import pytest

EXPECTED_MAJOR_MINOR = {
    "dbt-core": "1.11",
    "dbt-duckdb": "1.11",
    "dbt-postgres": "1.11",
    "dagster": "1.13",
    "dagster-dbt": "0.29",
}
EXPECTED_MAJOR = {"great-expectations": "1", "streamlit": "1", "polars": "2", "duckdb": "2", "sqlalchemy": "2", "pydantic": "2"}


@pytest.mark.parametrize(("package", "expected"), sorted(EXPECTED_MAJOR_MINOR.items()))
def test_pinned_minor_versions(package: str, expected: str) -> None:
    assert ".".join(version(package).split(".")[:2]) == expected


@pytest.mark.parametrize(("package", "expected"), sorted(EXPECTED_MAJOR.items()))
def test_major_versions(package: str, expected: str) -> None:
    assert version(package).split(".")[0] == expected


def test_great_expectations_is_at_least_1_24_and_streamlit_1_67() -> None:
    assert tuple(int(x) for x in version("great-expectations").split(".")[:2]) >= (1, 24)
    assert tuple(int(x) for x in version("streamlit").split(".")[:2]) >= (1, 67)


def test_starlette_test_client_runs_on_httpx2_not_the_deprecated_httpx_fallback() -> None:
    from starlette import testclient

    assert testclient.httpx.__name__ == "httpx2"  # the dev extra installs it; a fresh clone gets it
