"""``civstat quality run`` (every suite against the current warehouse) and ``civstat quality docs``.

``run`` is what an analyst or the demo calls outside Dagster; it writes the same
``quality_results``/``quarantine`` rows and Data Docs as the asset checks. It exits 1 when an
error-severity expectation failed (so scripts can stop), 0 otherwise (warnings included).
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def _run(args: argparse.Namespace) -> int:
    from civstat_cli.main import CliError
    from pipelines.lib.warehouse import Warehouse
    from quality.config import load_config
    from quality.runner import run_all
    from quality.suites import CHECKS_BY_NAME

    unknown = [c for c in args.check or [] if c not in CHECKS_BY_NAME]
    if unknown:
        raise CliError(f"unknown check(s) {', '.join(unknown)}; known: {', '.join(CHECKS_BY_NAME)}")
    wh = Warehouse.from_settings()
    if not wh.is_postgres and not wh.duckdb_path.exists():
        raise CliError(f"no warehouse at {wh.duckdb_path}: run `civstat pipeline` first")
    try:
        cfg = load_config(args.config) if args.config else None
    except (OSError, ValueError) as exc:
        raise CliError(str(exc)) from None
    outcomes = run_all(wh, config=cfg, registry_url=args.registry_url, full=args.full, only=args.check or None,
                       render_docs=not args.no_docs)
    if args.json:
        print(json.dumps([o.summary() for o in outcomes], indent=2, default=str))
    else:
        print(format_outcomes(outcomes))
    return 1 if any(o.blocking for o in outcomes) else 0


def format_outcomes(outcomes: list[Any]) -> str:
    """One line per check (status, expectations, failures), each failed expectation under it."""
    if not outcomes:
        return "no checks ran"
    width = max(len(o.check) for o in outcomes)
    lines = [f"{'check':<{width}}  status   expectations  failed(error/warn)  seconds"]
    for o in outcomes:
        s = o.summary()
        status = "ERROR" if o.blocking else ("warn" if not o.passed else "ok")
        n_err = sum(1 for r in o.failed if r.severity == "error")
        n_warn = sum(1 for r in o.failed if r.severity == "warn")
        lines.append(f"{o.check:<{width}}  {status:<7}  {s['expectations']:>12}  {n_err:>8}/{n_warn:<9}  {o.seconds:>7.2f}")
        lines += [f"    {r.severity:<5} {r.suite}:{r.rule} [{r.column or '-'}] unexpected={r.unexpected_count}"
                  f" e.g. {', '.join(r.sample_keys[:3]) or r.observed_value or ''}" for r in o.failed]
    if outcomes[0].docs_index:
        lines.append(f"Data Docs: {outcomes[0].docs_index}")
    return "\n".join(lines)


def _docs(args: argparse.Namespace) -> int:
    from pipelines.lib.warehouse import Warehouse
    from quality.docs import docs_dir

    index = docs_dir(Warehouse.from_settings().data_dir) / "index.html"
    print(index)
    return 0 if index.exists() else 1


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("quality", help="data quality: run the GX suites, show where Data Docs are")
    sub = p.add_subparsers(dest="quality_command", required=True, metavar="SUBCOMMAND")
    run = sub.add_parser("run", help="run every quality suite against the current warehouse")
    run.add_argument("--check", action="append", help="only this check (repeatable)")
    run.add_argument("--full", action="store_true", help="re-validate every landed change, not only new ones")
    run.add_argument("--registry-url", help="registry for reconciliation (default: CIVSTAT_REGISTRY_URL)")
    run.add_argument("--config", help="a quality config TOML instead of quality/config.toml")
    run.add_argument("--json", action="store_true", help="print a JSON summary instead of a table")
    run.add_argument("--no-docs", action="store_true", help="skip rendering GX Data Docs")
    run.set_defaults(func=_run)
    docs = sub.add_parser("docs", help="print the path of the GX Data Docs index (exit 1 if not rendered yet)")
    docs.set_defaults(func=_docs)
