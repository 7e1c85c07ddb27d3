"""A page never errors or waits while a pipeline run writes, and shows a new publish at once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import duckdb
import pytest

from dashboards import data, i18n
from tests.dashboards import fixture_data as fx
from tests.dashboards.apptest_helpers import PAGES, TITLES, metric, n, open_app
from tests.dashboards.conftest import point_app_at
from tests.dashboards.fixture_data import Built


def _births_today_hassan(built: Built) -> int:
    rows = built.frames["ind_office_daily"]
    return int(rows.filter((rows["office_code"] == fx.HASSAN) & (rows["day"] == fx.REF_DAY))["births_registered"].sum())


def _hassan(at):  # type: ignore[no-untyped-def]
    at.selectbox(key="monitor.region").set_value("04").run()
    at.selectbox(key="monitor.province").set_value("04.421").run()
    at.selectbox(key="monitor.office").set_value(fx.HASSAN).run()
    return at


def test_pages_keep_working_while_a_run_holds_the_writer_and_publishes(own_warehouse: Built) -> None:
    at = _hassan(open_app("office"))
    before = _births_today_hassan(own_warehouse)
    assert metric(at, "monitor.births_today") == n(before)

    writer = duckdb.connect(str(own_warehouse.working))  # the run: holds the working file read-write
    errors: list[BaseException] = []
    latencies: list[float] = []
    stop = threading.Event()

    def reader() -> None:
        # a second reader thread, querying the published warehouse in a loop, uncached
        while not stop.is_set():
            started = time.perf_counter()
            try:
                data.published_query("select count(*) from ind_office_daily", None, data.warehouse())
            except BaseException as exc:  # noqa: BLE001 - any failure is the test's failure
                errors.append(exc)
            latencies.append(time.perf_counter() - started)

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        writer.execute("begin transaction")
        writer.execute("update main.ind_office_daily set births_registered = births_registered + 100")
        # mid-transaction: the page still reads the published copy, unchanged, without waiting
        started = time.perf_counter()
        at.run()
        assert time.perf_counter() - started < 10
        assert not at.exception and metric(at, "monitor.births_today") == n(before)
        writer.execute("rollback")

        old_version = data.version()
        new_path = fx.republish(own_warehouse, writer, bump=5)  # the run publishes, writer still open
        assert data.version() == str(new_path) != old_version
        at.run()  # the next refresh shows the new numbers (the cache is keyed by the version)
        assert not at.exception
        assert metric(at, "monitor.births_today") == n(before + 5)
        for page in ("indicators", "quality", "rollout"):
            at.switch_page(PAGES[page]).run()
            assert not at.exception and at.title[0].value == i18n.t(TITLES[page], "fr")
    finally:
        stop.set()
        thread.join(timeout=30)
        writer.close()
    assert not errors, errors[:3]
    assert len(latencies) > 5 and max(latencies) < 5


def test_every_page_says_not_published_before_the_first_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = Built(data_dir=tmp_path / "data", working=tmp_path / "data" / "warehouse.duckdb", published=tmp_path / "none")
    empty.data_dir.mkdir()
    point_app_at(monkeypatch, empty)
    for page in PAGES:
        at = open_app(page)
        assert i18n.t("common.not_published", "fr") in [i.value for i in at.info] + [c.value for c in at.caption]
