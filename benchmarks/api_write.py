"""Write throughput of the registry API on PostgreSQL, against raw inserts into the same tables.

Measured in one run on a scratch database:
- baseline: single-row INSERT transactions (one act row + its change row, as the API writes),
  from one connection, psycopg, no HTTP;
- single-act endpoint: POST /api/v1/acts from concurrent clients to ``civstat api`` (2 workers);
- batch endpoint: POST /api/v1/acts/batch with 10,000 acts per request.
Goal (issue 2): single-act >= 25% of the raw insert rate; batch >= 50,000 acts/s.

Usage: python benchmarks/api_write.py [--single 2000] [--batches 5] [--clients 8]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
import orjson  # noqa: E402
import psycopg  # noqa: E402

from benchmarks._common import api_server, print_table, scratch_pg_database, write_results  # noqa: E402
from registry_api.core.db import Registry, upgrade  # noqa: E402
from registry_api.core.security import create_token  # noqa: E402
from registry_api.services.acts import ACT_COLUMNS, CHANGE_COLUMNS  # noqa: E402
from registry_api.services.geography import seed_geography  # noqa: E402

OFFICES = ["04.421.01.01", "04.421.01.03", "04.421.01.05", "04.421.01.06", "04.421.01.09", "04.441.01.03"]


def act_body(office: str, i: int) -> dict:
    d = (dt.date.today() - dt.timedelta(days=2 + i % 20)).isoformat()
    return {
        "act_type": "birth", "office_code": office, "event_date": d, "event_time": "08:45",
        "event_place_kind": "health_facility", "registration_basis": "declaration",
        "given_name_ar": "ياسين", "given_name_lat": "Yassine", "family_name_ar": "العلوي", "family_name_lat": "El Alaoui",
        "sex": "MF"[i % 2], "birth_date": d, "nationality": "MA", "father_name_ar": "محمد العلوي",
        "father_name_lat": "Mohammed El Alaoui", "mother_name_ar": "فاطمة بناني", "mother_name_lat": "Fatima Bennani",
        "father_age": 34, "mother_age": 29, "father_nationality": "MA", "mother_nationality": "MA",
        "declarant_relation": "father",
    }


def raw_baseline(url: str, n: int) -> float:
    """Single-row insert transactions of the same rows (act + change), no API."""
    cols = [c for c in ACT_COLUMNS if c != "act_id"]
    now = dt.datetime.now(dt.UTC)
    act_sql = f"insert into acts ({', '.join(cols)}) values ({', '.join(['%s'] * len(cols))}) returning act_id"
    chg_sql = f"insert into changes ({', '.join(CHANGE_COLUMNS)}) values ({', '.join(['%s'] * len(CHANGE_COLUMNS))})"
    with psycopg.connect(url) as conn:
        start = time.perf_counter()
        for i in range(n):
            body = act_body(OFFICES[i % len(OFFICES)], i)
            row = {**{c: None for c in cols}, **body, "register_year": 2000, "act_number": 900_000 + i, "status": "active",
                   "version": 1, "registered_at": now, "registration_date": now.date(), "created_at": now, "updated_at": now,
                   "plurality": 1, "event_country_code": "MA"}
            with conn.transaction():
                act_id = conn.execute(act_sql, [row[c] for c in cols]).fetchone()[0]
                conn.execute(chg_sql, ["act", act_id, act_id, row["office_code"], "create", 1,
                                       orjson.dumps({**row, "act_id": act_id}, default=str).decode(), "bench", None, None, now])
        return n / (time.perf_counter() - start)


def single_endpoint(base: str, tokens: dict[str, str], n: int, clients: int) -> float:
    def post(i: int) -> None:
        office = OFFICES[i % len(OFFICES)]
        r = client.post("/api/v1/acts", json=act_body(office, i), headers={"Authorization": f"Bearer {tokens[office]}"})
        assert r.status_code == 201, r.text

    with httpx.Client(base_url=base, timeout=120, limits=httpx.Limits(max_connections=clients)) as client:
        post(0)  # warm up
        start = time.perf_counter()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(post, range(1, n + 1)))
        return n / (time.perf_counter() - start)


def batch_endpoint(base: str, admin: str, batches: int, size: int) -> float:
    payloads = [orjson.dumps({"acts": [act_body(OFFICES[i % len(OFFICES)], i) for i in range(size)]}) for _ in range(batches)]
    with httpx.Client(base_url=base, timeout=600) as client:
        start = time.perf_counter()
        for p in payloads:
            r = client.post("/api/v1/acts/batch", content=p,
                            headers={"Authorization": f"Bearer {admin}", "content-type": "application/json"})
            assert r.status_code == 201, r.text[:300]
        return batches * size / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--single", type=int, default=2000)
    ap.add_argument("--batches", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=10_000)
    ap.add_argument("--clients", type=int, default=8)
    args = ap.parse_args()
    with scratch_pg_database() as url, tempfile.TemporaryDirectory() as tmp:
        reg = Registry(url)
        upgrade(reg.engine)
        with reg.session() as s:
            seed_geography(s)
            tokens = {o: create_token(s, "officer", office_code=o)[0] for o in OFFICES}
            admin = create_token(s, "admin")[0]
        reg.dispose()
        raw = raw_baseline(url.replace("postgresql+psycopg", "postgresql"), args.single)
        with api_server(url, Path(tmp)) as base:
            single = single_endpoint(base, tokens, args.single, args.clients)
            batch = batch_endpoint(base, admin, args.batches, args.batch_size)
    rows = [
        {"path": "raw single-row INSERT transactions (baseline)", "acts_per_s": raw, "ratio_to_raw": 1.0, "goal": "-"},
        {"path": f"POST /acts, {args.clients} clients", "acts_per_s": single, "ratio_to_raw": single / raw, "goal": ">= 0.25x raw"},
        {"path": f"POST /acts/batch, {args.batch_size:,}/request", "acts_per_s": batch, "ratio_to_raw": batch / raw, "goal": ">= 50,000/s"},
    ]
    print_table("Registry API write throughput (PostgreSQL)", rows)
    path = write_results("api_write", {"rows": rows, "params": vars(args)})
    print(f"\nwritten {path}")


if __name__ == "__main__":
    main()
