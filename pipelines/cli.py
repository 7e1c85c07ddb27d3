"""``civstat pipeline``, ``civstat sql`` and ``civstat dagster``."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("pipeline", help="land registry changes, build the warehouse with dbt, publish (in-process)")
    p.add_argument("--full-refresh", action="store_true", help="rebuild incremental models from scratch")
    p.add_argument("--registry", metavar="URL", help="registry database URL (default: CIVSTAT_REGISTRY_URL)")
    p.add_argument("--warehouse", metavar="PATH|URL", help="DuckDB file or PostgreSQL URL (default: CIVSTAT_WAREHOUSE)")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=cmd_pipeline)

    s = subparsers.add_parser("sql", help="read-only SQL on the published warehouse (models by bare name)")
    s.add_argument("query", help='e.g. "select * from ind_vital_region_month limit 5"')
    s.add_argument("--format", choices=["csv", "json", "table"], default="csv")
    s.add_argument("--warehouse", metavar="PATH|URL", help="DuckDB file or PostgreSQL URL (default: CIVSTAT_WAREHOUSE)")
    s.set_defaults(func=cmd_sql)

    d = subparsers.add_parser("dagster", help="start the Dagster UI and daemon on the pipelines (dagster dev)")
    d.add_argument("--port", type=int, default=3000)
    d.add_argument("--host", default="127.0.0.1")
    d.add_argument("--write-config-only", action="store_true", help="write DAGSTER_HOME/dagster.yaml and exit")
    d.set_defaults(func=cmd_dagster)


def _cli_error(message: str) -> Exception:
    from civstat_cli.main import CliError

    return CliError(message)


def first_failure(summary: dict[str, Any]) -> str:
    """What to say first about a failed run: its first step error, else its first failed check."""
    return (summary["errors"] or summary["failed_checks"] or ["a step failed"])[0]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def format_summary(summary: dict[str, Any]) -> str:
    lines = [
        f"status          {'ok' if summary['success'] else 'FAILED'}{' (full refresh)' if summary.get('full_refresh') else ''}",
        f"landed rows     {summary['landed_rows']}",
        f"models built    {summary['models_built']}",
        f"checks          {summary['checks_passed']} passed, {len(summary['failed_error_checks'])} failed (error), "
        f"{_plural(summary['checks_failed'] - len(summary['failed_error_checks']), 'warning')}",
        f"published       {summary['published_version'] or '-'}",
        f"data as of      {summary['max_changed_at'] or '-'}",
        f"duration        {summary['duration_s']} s",
    ]
    errors = set(summary["failed_error_checks"])
    lines += [f"{'failed check' if c in errors else 'warning':<16}{c}" for c in summary["failed_checks"][:20]]
    lines += [f"error           {e}" for e in summary["errors"][:10]]
    lines += [f"skipped domain  {m}: {why}" for m, why in summary.get("skipped_domains", {}).items()]
    return "\n".join(lines)


def _masked(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL (a file path): nothing to hide
        return url


def preflight(registry_url: str | None, warehouse: str | None) -> None:
    """One line within seconds when a PostgreSQL registry or warehouse cannot be reached.

    The run's steps retry transient errors (a dropped connection, a lock) for about a minute;
    that is right for a blip during a run, not for a wrong URL or a server that is down.
    """
    import psycopg

    from pipelines.defs.resources import resolve
    from pipelines.lib.landing import registry_dsn

    url, wh = resolve(registry_url, warehouse)
    targets = [("registry", url, registry_dsn(url)) if url.startswith("postgres") else None,
               ("warehouse", wh.target, wh.pg_dsn) if wh.is_postgres else None]
    for what, shown, dsn in filter(None, targets):
        try:
            psycopg.connect(dsn, connect_timeout=5).close()
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
            raise _cli_error(f"cannot connect to the {what} at {_masked(shown)}: {reason}") from None


def cmd_pipeline(args: argparse.Namespace) -> int:
    from pipelines.run import run_pipeline

    preflight(args.registry, args.warehouse)
    try:
        summary = run_pipeline(args.registry, args.warehouse, full_refresh=args.full_refresh)
    except FileNotFoundError as exc:
        raise _cli_error(str(exc)) from None
    print(json.dumps(summary, default=str) if args.json else format_summary(summary))
    if not summary["success"]:
        raise _cli_error(f"run {summary['run_id']} failed: {first_failure(summary)}")
    return 0


def cmd_sql(args: argparse.Namespace) -> int:
    import duckdb

    from pipelines.defs.resources import resolve
    from pipelines.lib.publish import NotPublishedError, query

    _, wh = resolve(None, args.warehouse)
    try:
        df = query(args.query, wh=wh)
    except NotPublishedError as exc:
        raise _cli_error(str(exc)) from None
    except duckdb.Error as exc:
        raise _cli_error(str(exc).strip().splitlines()[0]) from None
    except Exception as exc:
        if exc.__class__.__module__.startswith("psycopg"):
            raise _cli_error(str(exc).strip().splitlines()[0]) from None
        raise
    if args.format == "csv":
        sys.stdout.write(df.write_csv())
    elif args.format == "json":
        sys.stdout.write(df.write_json() + "\n")
    else:
        print(df)
    return 0


def cmd_dagster(args: argparse.Namespace) -> int:
    from pipelines.dagster_config import write_dagster_yaml
    from pipelines.defs.dbt.project import prepare_dbt_project
    from pipelines.defs.resources import resolve
    from pipelines.run import dagster_home

    _, wh = resolve()
    home = dagster_home(wh.data_dir)
    path = write_dagster_yaml(home)  # rewritten each start: follows CIVSTAT_DAGSTER_PG_URL
    storage = "postgres" if os.environ.get("CIVSTAT_DAGSTER_PG_URL") else "sqlite"
    print(f"DAGSTER_HOME={home} ({path.name}: {storage} storage)")
    if args.write_config_only:
        return 0
    try:
        prepare_dbt_project()
    except FileNotFoundError as exc:
        raise _cli_error(str(exc)) from None
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    exe = Path(sys.executable).with_name("dagster")
    cmd = [str(exe) if exe.exists() else "dagster", "dev", "-m", "pipelines.definitions", "-h", args.host, "-p", str(args.port)]
    return subprocess.call(cmd, env=env)
