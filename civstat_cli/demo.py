"""``civstat demo``: the whole platform on the embedded defaults (SQLite registry, DuckDB warehouse).

Steps, each shown as it runs: start the registry API, mint demo tokens, load a few years of
simulated national history (bulk), run a scripted day at a Rabat office through the real HTTP
API, land and build the warehouse, run the quality checks, release the curated datasets, start
the dashboards, then keep a live trickle of activity flowing (and the warehouse following it)
until interrupted. ``--once`` does the same work without the long-running parts and exits 0.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime as dt
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

RABAT_HASSAN = "04.421.01.05"
RABAT_AGDAL = "04.421.01.01"
CASA_ANFA = "06.141.01.31"


def _history_line(h: dict[str, Any]) -> str:
    """The bulk load's figures in one line."""
    return (f"loaded {h['acts']:,} acts ({h['changes']:,} change-log rows, {h['rows']:,} rows in all) "
            f"from {h['first_event_date']} to {h['end_date']} in {h['total_s']:.1f} s ({h['acts_per_s']:,.0f} acts/s)")


def _indicator_preview() -> str:
    """The last complete year by region, from the published indicators (what an analyst sees first)."""
    from pipelines.lib.publish import query

    df = query("""
        with years as (select year, count(distinct month) as months from ind_vital_region_month group by year)
        select region_name_fr as region, year, sum(births) as births, sum(deaths) as deaths,
               sum(births) * 1000.0 / avg(population) as cbr,
               100.0 * sum(births_male) / nullif(sum(births_female), 0) as sex_ratio
        from ind_vital_region_month
        where year = (select max(year) from years where months = 12)
        group by 1, 2 order by births desc limit 5
    """)
    if df.is_empty():
        return "(no complete year of indicators yet)"
    lines = [f"births and deaths by region in {df['year'][0]} (ind_vital_region_month, top 5)",
             f"{'region':<30} {'births':>8} {'deaths':>8} {'CBR/1000':>9} {'sex ratio':>9}"]
    lines += [f"{r['region']:<30} {int(r['births']):>8,} {int(r['deaths']):>8,} {float(r['cbr'] or 0):>9.1f} "
              f"{float(r['sex_ratio'] or 0):>9.1f}" for r in df.iter_rows(named=True)]
    scale = query("select synthetic_scale from publish_meta").item(0, 0)
    if scale is not None:
        lines.append(f"(synthetic registry at {scale:g} of the national volume: rates divide by the population "
                     "at the same scale, and the dashboards say the data are simulated)")
    return "\n".join(lines)


def _print_run(summary: dict[str, Any]) -> None:
    """One line per pipeline run while the demo serves: what landed, and how long after its
    capture the newest change became visible to readers."""
    now = dt.datetime.now(dt.UTC)
    if not summary["success"]:
        from pipelines.cli import first_failure

        print(f"{now:%H:%M:%S}  {summary['job']:<15} FAILED: {first_failure(summary)}", flush=True)
        return
    newest = summary.get("max_changed_at")
    lag = ""
    if summary["landed_rows"] and newest:
        lag = f"; newest change readable {(now - dt.datetime.fromisoformat(str(newest))).total_seconds():.0f} s after capture"
    print(f"{now:%H:%M:%S}  {summary['job']:<15} {summary['landed_rows']} changes landed, {summary['models_built']} models, "
          f"{summary['duration_s']:.1f} s{lag}", flush=True)


def _step(title: str) -> None:
    print(f"\n== {title}", flush=True)


class ApiThread:
    """The registry API served by uvicorn in a background thread."""

    def __init__(self, host: str, port: int) -> None:
        import uvicorn

        from registry_api.main import create_app

        self.app = create_app()
        self.server = uvicorn.Server(uvicorn.Config(self.app, host=host, port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = f"http://{host}:{port}"

    def __enter__(self) -> ApiThread:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                from civstat_cli.main import CliError

                raise CliError(f"the API could not start on {self.url} (port in use? try --port)")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def mint_tokens(data_dir: Path) -> dict[str, Any]:
    """Demo tokens, written to DATA_DIR/demo_tokens.json (readable by the owner only)."""
    from registry_api.core.config import get_settings
    from registry_api.core.db import registry_for
    from registry_api.core.security import create_token

    reg = registry_for(get_settings().registry_url)
    tokens: dict[str, Any] = {"officers": {}}
    with reg.session() as s:
        for role, kw in (("admin", {}), ("portal", {}), ("analyst", {}), ("supervisor", {"province_code": "04.421"}),
                         ("sector_health", {"sector_code": "health"}), ("sector_elections", {"sector_code": "elections"})):
            tokens[role] = create_token(s, role.split("_")[0], label="demo", **kw)[0]
        for office in (RABAT_HASSAN, RABAT_AGDAL, CASA_ANFA):
            tokens["officers"][office] = create_token(s, "officer", office_code=office, label="demo")[0]
    path = data_dir / "demo_tokens.json"
    path.write_text(json.dumps(tokens, indent=2))
    path.chmod(0o600)
    return tokens


def scripted_day(base: str, tokens: dict[str, Any]) -> dict[str, Any]:
    """A realistic handful of work through the real HTTP API: declarations on the portal, their
    completion at the office, births and a death, a correction by judgment, a marriage notified
    to two offices and applied, a copy requested and issued. Returns the counts and ``story``:
    one line per step, saying what the registry answered."""
    import httpx

    from registry_api.models import utcnow
    from registry_api.services.acts import local_date

    today = local_date(utcnow())
    day = lambda n: (today - dt.timedelta(days=n)).isoformat()  # noqa: E731
    h = lambda tok: {"Authorization": f"Bearer {tok}"}  # noqa: E731
    officer = h(tokens["officers"][RABAT_HASSAN])
    counts: dict[str, Any] = {"acts": 0, "declarations": 0, "changes_posted": 0}
    story: list[str] = []

    def number(act: dict[str, Any]) -> str:
        return f"n° {act['act_number']}/{act['register_year']}"

    def ok(r: httpx.Response) -> dict[str, Any]:
        if r.status_code >= 300:
            raise RuntimeError(f"{r.request.method} {r.request.url.path} -> {r.status_code}: {r.text[:300]}")
        return r.json()

    def birth(office: str, n: int, **kw: Any) -> dict[str, Any]:
        body = {
            "act_type": "birth", "office_code": office, "event_date": day(n), "event_time": "10:20",
            "event_place_kind": "health_facility", "given_name_ar": "آدم", "given_name_lat": "Adam",
            "family_name_ar": "بنجلون", "family_name_lat": "Benjelloun", "sex": "M", "birth_date": day(n),
            "father_name_ar": "يوسف بنجلون", "father_name_lat": "Youssef Benjelloun", "mother_name_ar": "نادية العمراني",
            "mother_name_lat": "Nadia El Amrani", "father_age": 33, "mother_age": 28, "father_nationality": "MA",
            "mother_nationality": "MA", "declarant_relation": "father",
        }
        body.update(kw)
        return body

    with httpx.Client(base_url=base, timeout=60) as c:
        # 1. three families file preliminary declarations on the portal
        receipts = []
        for n, (given_ar, given_lat, sex) in enumerate((("سلمى", "Salma", "F"), ("إلياس", "Ilyas", "M"), ("مريم", "Meryem", "F"))):
            doc = base64.b64encode(f"%PDF-1.4 certificat {n}".encode()).decode()
            receipts.append(ok(c.post("/api/v1/declarations", headers={**h(tokens["portal"]), "Idempotency-Key": f"demo-decl-{n}-{today}"}, json={
                "event_type": "birth", "event_date": day(3 + n), "office_code": RABAT_HASSAN, "channel": "portal",
                "declarant_name": "Youssef Benjelloun", "declarant_phone": "+212 661 000 000", "declarant_relation": "father",
                "locale": "ar" if n % 2 else "fr", "payload": {"given_name_lat": given_lat, "given_name_ar": given_ar, "sex": sex},
                "documents": [{"document_kind": "medical_certificate", "media_type": "application/pdf", "content_base64": doc}],
            })))
            counts["declarations"] += 1
        # 2. the first two come to the office: reviewed and registered; the third is rejected
        registered: list[dict[str, Any]] = []
        for n, (receipt, (given_ar, given_lat, sex)) in enumerate(zip(receipts[:2], (("سلمى", "Salma", "F"), ("إلياس", "Ilyas", "M")), strict=True)):
            did = receipt["declaration_id"]
            ok(c.post(f"/api/v1/declarations/{did}/review", headers=officer, json={"version": 1}))
            act = birth(RABAT_HASSAN, 3 + n, given_name_ar=given_ar, given_name_lat=given_lat, sex=sex)
            act.pop("office_code")
            registered.append(ok(c.post(f"/api/v1/declarations/{did}/register", headers=officer, json={"version": 2, "act": act})))
            counts["acts"] += 1
        ok(c.post(f"/api/v1/declarations/{receipts[2]['declaration_id']}/reject", headers=officer,
                  json={"version": 1, "reason": "Certificat médical illisible / شهادة طبية غير مقروءة"}))
        status = ok(c.get(f"/api/v1/declarations/status/{receipts[2]['tracking_number']}", headers=h(tokens["portal"])))
        story.append(f"portal      3 birth declarations filed; tracking numbers {', '.join(r['tracking_number'] for r in receipts)}")
        story.append(f"office      2 completed at Rabat-Hassan and registered as birth acts "
                     f"{' and '.join(number(a) for a in registered)}; the third rejected")
        personal = sorted({"declarant_name", "declarant_phone", "payload", "documents"} & set(status))
        story.append(f"citizen     status of {receipts[2]['tracking_number']}: {status['status']!r}, deadline "
                     f"{status['deadline_date']}; " + (f"personal data in the answer: {personal}" if personal else
                                                       "the public lookup returns no personal data"))
        # 3. counter registrations, one of them late (declaratory judgment)
        twin = ok(c.post("/api/v1/acts", headers=officer, json=birth(RABAT_HASSAN, 1, plurality=2)))
        twin2 = ok(c.post("/api/v1/acts", headers=officer, json=birth(RABAT_HASSAN, 1, plurality=2, sex="F", given_name_ar="آية", given_name_lat="Aya")))
        late = ok(c.post("/api/v1/acts", headers=officer, json=birth(
            RABAT_HASSAN, 400, registration_basis="declaratory_judgment", court_name="Tribunal de première instance de Rabat",
            judgment_reference=f"JD-{today.year}-0042", judgment_date=day(2), father_age=41, mother_age=37)))
        counts["acts"] += 3
        story.append(f"counter     twins registered ({number(twin)}, {number(twin2)}); a birth 400 days old registered "
                     f"by declaratory judgment ({number(late)})")
        # 4. a correction by court judgment (the first name's Latin spelling)
        corrected = ok(c.post(f"/api/v1/acts/{twin['act_id']}/changes", headers=officer, json={
            "kind": "correct", "version": twin["version"], "fields": {"given_name_lat": "Adame"},
            "reason": "Transcription latine du prénom", "legal_basis": f"Jugement TPI Rabat n° {today.year}/118"}))
        counts["changes_posted"] += 1
        story.append(f"correction  act {number(corrected)}: given_name_lat {twin['given_name_lat']!r} -> "
                     f"{corrected['given_name_lat']!r} by judgment, version {twin['version']} -> {corrected['version']}")
        # 5. a death in Casablanca of someone born in Rabat: the birth office is notified
        born = ok(c.post("/api/v1/acts", headers=h(tokens["officers"][RABAT_AGDAL]), json=birth(RABAT_AGDAL, 20)))
        death = ok(c.post("/api/v1/acts", headers=h(tokens["officers"][CASA_ANFA]), json={
            "act_type": "death", "office_code": CASA_ANFA, "event_date": day(2), "event_place_kind": "health_facility",
            "given_name_ar": "آدم", "given_name_lat": "Adam", "family_name_ar": "بنجلون", "family_name_lat": "Benjelloun",
            "sex": "M", "birth_date": day(20), "age_years": 0, "birth_act_id": born["act_id"], "birth_office_code": RABAT_AGDAL,
            "declarant_relation": "father"}))
        counts["acts"] += 2
        story.append(f"death       Casablanca-Anfa registers death act {number(death)} of a child born in Rabat-Agdal "
                     f"(birth act {number(born)}): Rabat-Agdal is notified")
        # 6. a marriage summary from the court's family section, noted on both birth acts
        event = ok(c.post("/api/v1/family-events", headers=h(tokens["admin"]), json={
            "event_type": "marriage", "event_date": day(4), "court_name": "Section de la famille, TPI de Rabat",
            "court_province_code": "04.421", "contract_reference": f"MAR-{today.year}-0007", "husband_age": 31, "wife_age": 27,
            "husband_birth_office_code": RABAT_HASSAN, "husband_birth_act_id": corrected["act_id"],
            "wife_birth_office_code": RABAT_AGDAL}))
        for n in event["notifications"]:
            tok = h(tokens["officers"][n["to_office_code"]])
            ok(c.post(f"/api/v1/notifications/{n['notification_id']}/receive", headers=tok, json={"version": 1}))
            ok(c.post(f"/api/v1/notifications/{n['notification_id']}/apply", headers=tok, json={"version": 2}))
        story.append(f"marriage    the court's family section reports a marriage: {len(event['notifications'])} offices "
                     "notified, each receives it and writes the marginal note on the spouse's birth act")
        # 7. an extract requested at the counter and issued
        req = ok(c.post("/api/v1/document-requests", headers=officer, json={"act_id": twin["act_id"], "document_kind": "extract"}))
        ok(c.post(f"/api/v1/document-requests/{req['request_id']}/issue", headers=officer, json={"version": 1}))
        story.append(f"document    an extract of act {number(twin)} requested at the counter and issued")
        feed = ok(c.get("/api/v1/changes", headers=h(tokens["admin"]), params={"limit": 10_000}))
    counts["change_log_rows_visible"] = len(feed["data"])
    counts["rejected_status_seen_by_citizen"] = status["status"] == "rejected"
    story.append(f"change log  every step above is a row of the append-only change log; the feed serves "
                 f"{len(feed['data']):,}{'+' if feed.get('has_more') else ''} rows from the start")
    return {**counts, "story": story}


def demo_pseudonym_keys(data_dir: Path) -> None:
    """Per-sector pseudonym secrets for the demo: random, made once, kept under DATA_DIR (never in
    the repository). A real deployment sets CIVSTAT_PSEUDONYM_KEYS from its secret store."""
    import secrets

    if os.environ.get("CIVSTAT_PSEUDONYM_KEYS"):
        return
    path = data_dir / "pseudonym_keys"
    if not path.exists():
        sectors = ("health", "statistics", "elections", "social_protection", "planning", "public")
        path.write_text(",".join(f"{s}={secrets.token_urlsafe(32)}" for s in sectors))
        path.chmod(0o600)
    os.environ["CIVSTAT_PSEUDONYM_KEYS"] = path.read_text().strip()


def run(args: argparse.Namespace) -> int:
    from registry_api.core.config import get_settings

    data_dir = Path(os.environ.get("CIVSTAT_DATA_DIR", "data")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    demo_pseudonym_keys(data_dir)
    get_settings.cache_clear()
    settings = get_settings()
    data_dir = Path(settings.DATA_DIR).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("CIVSTAT_DATA_DIR", str(data_dir))
    started = time.perf_counter()
    summary: dict[str, Any] = {"registry": settings.registry_url, "warehouse": settings.warehouse}

    _step("Registry: schema, geography (12 regions, 83 provinces, 1,503 communes, 1,588 offices)")
    from registry_api.core.db import registry_for
    from registry_api.services.geography import seed_geography

    reg = registry_for(settings.registry_url)
    from registry_api.core.db import upgrade

    upgrade(reg.engine)
    with reg.session() as s:
        summary["offices"] = seed_geography(s)
    tokens = mint_tokens(data_dir)

    if not args.no_history:
        _step(f"Simulator: {args.years} years of national history in bulk (scale {args.scale})")
        from simulator.bulk import load_history
        from simulator.store import RegistryNotEmpty

        try:
            summary["history"] = load_history(settings.registry_url, years=args.years, scale=args.scale, seed=args.seed)
            print(_history_line(summary["history"]))
        except RegistryNotEmpty:
            print("history already loaded in this registry: kept as it is")

    stop = threading.Event()
    background: list[Any] = []
    with ApiThread(args.host, args.port) as api:
        _step(f"Registry API at {api.url} (docs {api.url}/docs): a scripted day at the Rabat offices")
        summary["scripted_day"] = scripted_day(api.url, tokens)
        print("\n".join(summary["scripted_day"]["story"]))

        _step("Warehouse: land the change log exactly once, dbt build, tests and quality checks, publish")
        from pipelines.cli import format_summary
        from pipelines.run import run_pipeline

        log_path = data_dir / "logs" / f"pipeline-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("w") as log, contextlib.redirect_stdout(log):  # dbt's node-by-node log
            summary["pipeline"] = run_pipeline(settings.registry_url, settings.warehouse, log_level="WARNING")
        print(format_summary(summary["pipeline"]))
        print(f"dbt log         {log_path}")
        if summary["pipeline"]["published_version"]:
            print()
            print(_indicator_preview())

        _step("Data quality: expectation suites, quarantine, reconciliation")
        from quality.cli import format_outcomes
        from quality.runner import run_all

        outcomes = run_all()
        summary["quality"] = [o.summary() for o in outcomes]
        print(format_outcomes(outcomes))

        _step("Curated datasets: disclosure-controlled releases for other sectors")
        from datasets.cli import format_releases
        from datasets.release import release_all

        releases = release_all()
        summary["datasets"] = [{"name": r.name, "version": r.version, "rows": r.rows} for r in releases]
        print(format_releases(releases))
        print("(suppressed: rows with a withheld count, a count of 1-4 or one that would let such a count be "
              "recomputed; the demo's registry is a small one, so its detailed tables withhold many: docs/datasets.md)")
        print(f"(files and descriptors under {data_dir / 'releases'}; sectors pull them with GET /api/v1/datasets)")

        if not args.once:
            from dashboards.cli import start_dashboard
            from pipelines.run import watch
            from simulator.live import run_live

            background.append(start_dashboard(args.dashboard_port, dict(os.environ)))
            threading.Thread(target=run_live, kwargs={
                "base_url": api.url, "tokens": tokens, "rate": args.rate, "duration_s": None, "seed": args.seed,
                "stop_event": stop}, daemon=True).start()
            threading.Thread(target=watch, args=(settings.registry_url, settings.warehouse),
                             kwargs={"interval_s": 15, "stop_event": stop, "on_run": _print_run}, daemon=True).start()

        _step("Ready")
        print(f"API        {api.url}/docs   (OpenAPI {api.url}/openapi.json)")
        print(f"Tokens     {data_dir / 'demo_tokens.json'}")
        print(f"  admin    {tokens['admin']}")
        print(f"  officer  {tokens['officers'][RABAT_HASSAN]}  (office {RABAT_HASSAN}, Rabat-Hassan)")
        print(f"  portal   {tokens['portal']}")
        print("Warehouse  civstat sql \"select * from ind_office_daily order by day desc limit 5\"")
        if args.once:
            print("Dashboards civstat dashboard   (office monitor and indicators, Arabic and French)")
        else:
            print(f"Dashboards http://{args.host}:{args.dashboard_port}   (office monitor and indicators, Arabic and French)")
            print(f"Live       {args.rate:g} acts/s posted through the API; the warehouse follows every 15 s")
        print(f"Done in {time.perf_counter() - started:.1f}s")
        if args.once:
            return 0
        print("Serving; Ctrl-C to stop. Each warehouse run prints a line:")
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            print("\nstopping…")
        finally:
            stop.set()
            for proc in background:
                proc.terminate()
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="run the whole platform on the embedded defaults")
    p.add_argument("--once", action="store_true", help="do the work, print a summary and exit")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--dashboard-port", type=int, default=8501)
    p.add_argument("--years", type=int, default=3, help="years of simulated history to load")
    p.add_argument("--scale", type=float, default=0.02, help="share of the national volume to simulate")
    p.add_argument("--seed", type=int, default=2018)
    p.add_argument("--rate", type=float, default=2.0, help="live acts per second while serving")
    p.add_argument("--no-history", action="store_true", help="skip the bulk history")
    p.set_defaults(func=run)
