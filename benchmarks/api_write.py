"""Write throughput of the registry API on PostgreSQL, against raw inserts into the same tables.

Measured in one run on a scratch database:
- baseline: single-row INSERT transactions (one act row + its change row, as the API writes),
  from one connection, psycopg, no HTTP; measured in rounds interleaved with the single-act
  endpoint's (medians reported, the ratio being the median of each round's API/raw ratio, and
  every round in the table);
- single-act endpoint: POST /api/v1/acts from concurrent clients to ``civstat api`` (2 workers);
- batch endpoint: POST /api/v1/acts/batch with 10,000 acts per request;
- batch service time, in process (no HTTP): the same request body decoded, shape-checked and
  registered in one transaction, per phase, with the client's CPU time and the PostgreSQL
  backend's CPU time (from /proc when the server is local). On a shared machine wall time
  follows the load; CPU seconds per 10,000 acts barely do, so both are reported.
Goal (issue 2): single-act >= 25% of the raw insert rate; batch >= 50,000 acts/s.

Usage: python benchmarks/api_write.py [--single 2000] [--rounds 3] [--batches 5] [--clients 8] [--service-batches 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
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


def raw_baseline(url: str, n: int, start: int = 0) -> float:
    """Single-row insert transactions of the same rows (act + change), no API; act numbers from
    ``900_000 + start`` (another round uses another range)."""
    cols = [c for c in ACT_COLUMNS if c != "act_id"]
    now = dt.datetime.now(dt.UTC)
    act_sql = f"insert into acts ({', '.join(cols)}) values ({', '.join(['%s'] * len(cols))}) returning act_id"
    chg_sql = f"insert into changes ({', '.join(CHANGE_COLUMNS)}) values ({', '.join(['%s'] * len(CHANGE_COLUMNS))})"
    with psycopg.connect(url) as conn:
        began = time.perf_counter()
        for i in range(start, start + n):
            body = act_body(OFFICES[i % len(OFFICES)], i)
            row = {**{c: None for c in cols}, **body, "register_year": 2000, "act_number": 900_000 + i, "status": "active",
                   "version": 1, "registered_at": now, "registration_date": now.date(), "created_at": now, "updated_at": now,
                   "plurality": 1, "event_country_code": "MA"}
            with conn.transaction():
                act_id = conn.execute(act_sql, [row[c] for c in cols]).fetchone()[0]
                conn.execute(chg_sql, ["act", act_id, act_id, row["office_code"], "create", 1,
                                       orjson.dumps({**row, "act_id": act_id}, default=str).decode(), "bench", None, None, now])
        return n / (time.perf_counter() - began)


def single_endpoint(base: str, tokens: dict[str, str], n: int, clients: int) -> float:
    """``n`` POST /acts from ``clients`` threads, each on its own keep-alive connection. The bodies
    are encoded before the clock starts and the client is the standard library's, the lightest
    at hand: the load generator shares the two cores with the API and PostgreSQL, and its own
    work (httpx and JSON encoding took ~1 ms a request, a fifth of the machine) is not the API's."""
    import http.client
    from urllib.parse import urlsplit

    host = urlsplit(base)
    bodies = [orjson.dumps(act_body(OFFICES[i % len(OFFICES)], i)) for i in range(n + clients)]
    headers = {o: {"Authorization": f"Bearer {tokens[o]}", "Content-Type": "application/json"} for o in OFFICES}

    def run(k: int, items: range) -> None:
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=120)
        try:
            for i in items:
                conn.request("POST", "/api/v1/acts", body=bodies[i], headers=headers[OFFICES[i % len(OFFICES)]])
                r = conn.getresponse()
                text = r.read()
                assert r.status == 201, text[:300]
        finally:
            conn.close()

    with ThreadPoolExecutor(clients) as pool:  # one request per connection first: connected and warm
        list(pool.map(run, range(clients), [range(n + k, n + k + 1) for k in range(clients)]))
        start = time.perf_counter()
        list(pool.map(run, range(clients), [range(k, n, clients) for k in range(clients)]))
        return n / (time.perf_counter() - start)


def batch_endpoint(base: str, admin: str, batches: int, size: int, clients: int = 1) -> float:
    """``batches`` requests of ``size`` acts from ``clients`` concurrent clients, each capturing
    its own offices (a register's counter is locked until its batch commits, so two batches for
    the same office queue behind each other, by design)."""
    def payload(k: int) -> bytes:
        mine = OFFICES[k % clients::clients]
        return orjson.dumps({"acts": [act_body(mine[i % len(mine)], i) for i in range(size)]})

    payloads = [payload(k) for k in range(batches)]

    def post(p: bytes) -> None:
        with httpx.Client(base_url=base, timeout=600) as client:
            r = client.post("/api/v1/acts/batch", content=p,
                            headers={"Authorization": f"Bearer {admin}", "content-type": "application/json"})
            assert r.status_code == 201, r.text[:300]

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(post, payloads))
    return batches * size / (time.perf_counter() - start)


def database_ceiling(url: str, batches: int, size: int, clients: int) -> dict:
    """What the database alone allows: the batch endpoint's last ``size`` acts and their change
    rows replayed ``batches`` times as pre-encoded binary COPY (acts, then change rows, one
    transaction each replay; ids and act numbers shifted so every replay is new rows) from
    ``clients`` connections, with no application, HTTP or JSON work at all. Encoding happens
    before the clock starts, and the counter upsert and id reservation are left out, so this is
    an upper bound on any batch endpoint over this schema on this machine."""
    with psycopg.connect(url) as conn:
        act_cols = ACT_COLUMNS  # the columns the batch endpoint's COPY writes
        lo = conn.execute("select max(act_id) - %s from acts", (size,)).fetchone()[0]

        def encoded(k: int) -> tuple[bytes, bytes]:
            off, num = (k + 1) * 10**9, (k + 1) * 10**6
            shifted = {"act_id": f"act_id + {off}", "act_number": f"act_number + {num}"}
            acts_sql = (f"copy (select {', '.join(shifted.get(c, c) for c in act_cols)} from acts "
                        f"where act_id > {lo} order by act_id) to stdout (format binary)")
            chg = {"entity_id": f"entity_id + {off}", "act_id": f"act_id + {off}"}
            chg_sql = (f"copy (select {', '.join(chg.get(c, c) for c in CHANGE_COLUMNS)} from changes "
                       f"where change_kind = 'create' and act_id > {lo} order by change_id) to stdout (format binary)")
            out = []
            for sql in (acts_sql, chg_sql):
                with conn.cursor().copy(sql) as copy:
                    out.append(b"".join(bytes(b) for b in copy))
            return out[0], out[1]

        payloads = [encoded(k) for k in range(batches)]
    acts_copy = f"copy acts ({', '.join(act_cols)}) from stdin (format binary)"
    chg_copy = f"copy changes ({', '.join(CHANGE_COLUMNS)}) from stdin (format binary)"

    def load(mine: list[tuple[bytes, bytes]]) -> float:
        with psycopg.connect(url) as c:
            pid = c.execute("select pg_backend_pid()").fetchone()[0]
            c.commit()
            cpu0 = _backend_cpu(pid)
            for acts_bytes, chg_bytes in mine:
                with c.transaction(), c.cursor() as cur:
                    for sql, data in ((acts_copy, acts_bytes), (chg_copy, chg_bytes)):
                        with cur.copy(sql) as copy:
                            copy.write(data)
            cpu1 = _backend_cpu(pid)
            return (cpu1 - cpu0) if cpu0 is not None and cpu1 is not None else float("nan")

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        cpus = list(pool.map(load, [payloads[k::clients] for k in range(clients)]))
    wall = time.perf_counter() - start
    return {"acts_per_s": batches * size / wall, "server_cpu_s_per_10k": sum(cpus) / (batches * size) * 10_000,
            "clients": clients}


def _backend_cpu(pid: int) -> float | None:
    """CPU seconds used so far by a (local) PostgreSQL backend, or None if /proc can't tell."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def batch_service_time(url: str, batches: int, size: int) -> dict:
    """In-process service time of one batch request, by phase (median over ``batches``)."""
    from sqlalchemy import text

    from registry_api.api.routes.acts import _batch_columns, _decode_json_body
    from registry_api.core.security import principal_for
    from registry_api.services.acts import create_acts_batch

    reg = Registry(url)
    with reg.session() as s:
        principal = principal_for(s, create_token(s, "admin")[0])
    runs = []
    for b in range(batches + 1):  # the first run warms caches (reference data, statements)
        payload = orjson.dumps({"acts": [act_body(OFFICES[(i + b) % len(OFFICES)], i) for i in range(size)]})
        t0, c0 = time.perf_counter(), time.process_time()
        cols = _batch_columns(_decode_json_body(payload, "application/json"), 10**9)
        t1 = time.perf_counter()
        with reg.session() as s:
            pid = s.execute(text("select pg_backend_pid()")).scalar_one()
            p0 = _backend_cpu(pid)
            t2 = time.perf_counter()
            result = create_acts_batch(s, cols, principal)
            t3 = time.perf_counter()
            body = orjson.dumps({"count": len(result.act_ids), "acts": result.refs()})
        t4, c4 = time.perf_counter(), time.process_time()
        p4 = _backend_cpu(pid)
        assert len(result.act_ids) == size and body
        runs.append({"decode_validate_s": t1 - t0, "register_write_s": t3 - t2, "total_s": t4 - t0 - (t2 - t1),
                     "client_cpu_s": c4 - c0, "server_cpu_s": None if p0 is None or p4 is None else p4 - p0})
    reg.dispose()
    runs = runs[1:]
    out = {k: statistics.median(r[k] for r in runs) if runs[0][k] is not None else None for k in runs[0]}
    out["acts_per_s_wall"] = size / out["total_s"]
    if out["server_cpu_s"] is not None:
        out["acts_per_s_cpu"] = size / (out["client_cpu_s"] + out["server_cpu_s"])
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--single", type=int, default=2000, help="acts per round, raw and single-act endpoint each")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved raw/API rounds (medians reported)")
    ap.add_argument("--batches", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=10_000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--service-batches", type=int, default=5)
    ap.add_argument("--batch-clients", type=int, default=2, help="concurrent batch clients (the API runs 2 workers)")
    args = ap.parse_args()
    with scratch_pg_database() as url, tempfile.TemporaryDirectory() as tmp:
        reg = Registry(url)
        upgrade(reg.engine)
        with reg.session() as s:
            seed_geography(s)
            tokens = {o: create_token(s, "officer", office_code=o)[0] for o in OFFICES}
            admin = create_token(s, "admin")[0]
        reg.dispose()
        raw_url = url.replace("postgresql+psycopg", "postgresql")
        raws: list[float] = []
        singles: list[float] = []
        with api_server(url, Path(tmp)) as base:
            # interleaved rounds (raw, API, raw, API, ...): a slow spell of the machine (a checkpoint,
            # another process) then hits both sides rather than one; the medians are reported
            for r in range(args.rounds):
                raws.append(raw_baseline(raw_url, args.single, start=r * args.single))
                singles.append(single_endpoint(base, tokens, args.single, args.clients))
            raw, single = statistics.median(raws), statistics.median(singles)
            ratio = statistics.median(b / a for a, b in zip(raws, singles, strict=True))  # each round's pair
            load_before = os.getloadavg()
            batch1 = batch_endpoint(base, admin, args.batches, args.batch_size)
            batch = batch_endpoint(base, admin, args.batches, args.batch_size, args.batch_clients)
        ceilings = [database_ceiling(raw_url, args.batches, args.batch_size, c) for c in (1, args.batch_clients)]
        service = batch_service_time(url, args.service_batches, args.batch_size)
    rows = [
        {"path": "raw single-row INSERT transactions (baseline)", "acts_per_s": raw, "ratio_to_raw": 1.0, "goal": "-"},
        {"path": f"POST /acts, {args.clients} clients (median of rounds)", "acts_per_s": single, "ratio_to_raw": ratio,
         "goal": ">= 0.25x raw"},
        *({"path": f"  round {r + 1}: raw {a:,.0f}/s, POST /acts {b:,.0f}/s", "acts_per_s": b, "ratio_to_raw": b / a, "goal": ""}
          for r, (a, b) in enumerate(zip(raws, singles, strict=True))),
        {"path": f"POST /acts/batch, {args.batch_size:,}/request, 1 client", "acts_per_s": batch1, "ratio_to_raw": batch1 / raw,
         "goal": ">= 50,000/s"},
        {"path": f"POST /acts/batch, {args.batch_size:,}/request, {args.batch_clients} clients", "acts_per_s": batch,
         "ratio_to_raw": batch / raw, "goal": ">= 50,000/s"},
        *({"path": f"database alone: pre-encoded binary COPY of the same rows, {c['clients']} connection(s) "
                   f"({c['server_cpu_s_per_10k']:.3f} CPU-s per 10,000 acts)",
           "acts_per_s": c["acts_per_s"], "ratio_to_raw": c["acts_per_s"] / raw, "goal": "ceiling"} for c in ceilings),
    ]
    print_table("Registry API write throughput (PostgreSQL)", rows)
    best = max(batch1, batch)
    print(f"\nbatch endpoint: {best:,.0f} acts/s = {best / raw:,.1f}x raw; goal 50,000/s "
          f"({'met' if best >= 50_000 else 'not met'}); load average before the batches {load_before[0]:.2f} "
          f"on {os.cpu_count()} CPUs")
    print(f"batch service time per {args.batch_size:,} acts (in process, median of {args.service_batches}): "
          + ", ".join(f"{k} {v:.3f}" if k.endswith("_s") and v is not None else f"{k} {v:,.0f}" if v else f"{k} -"
                      for k, v in service.items()))
    ceiling = max(c["acts_per_s"] for c in ceilings)
    print(f"database alone (no application): {ceiling:,.0f} acts/s; the batch endpoint reaches {best / ceiling:.0%} of it")
    path = write_results("api_write", {"rows": rows, "batch_service": service, "database_ceiling": ceilings, "load_avg_before_batches": load_before,
                                       "params": vars(args)})
    print(f"\nwritten {path}")


if __name__ == "__main__":
    main()
