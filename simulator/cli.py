"""``civstat simulate``: synthetic civil-status activity, in bulk or live.

    civstat simulate --bulk --years 3 --scale 0.01 --seed 1 [--registry URL] [--end-date D]
    civstat simulate --live http://127.0.0.1:8000 --rate 5 --token-file tokens.json [--duration 60]
    civstat simulate --mint-tokens tokens.json [--offices 12] [--registry URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "simulate", help="generate synthetic registry activity (bulk history or live)",
        description="Synthetic Moroccan civil-status activity calibrated on HCP/UN/Ministry of Justice figures.",
    )
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--bulk", action="store_true", help="write --years of history straight into the registry database")
    mode.add_argument("--live", metavar="URL", help="post activity in real time to the registry API at URL")
    mode.add_argument("--mint-tokens", metavar="FILE", help="create officer/portal/admin tokens for --live and write them to FILE")
    p.add_argument("--years", type=float, default=2.0, help="bulk: years of history ending --end-date (default 2)")
    p.add_argument("--scale", type=float, default=0.01, help="bulk: share of Morocco's activity (1 = national; default 0.01)")
    p.add_argument("--seed", type=int, default=1, help="random seed: the same seed gives the same data (default 1)")
    p.add_argument("--end-date", type=dt.date.fromisoformat, default=None, help="bulk: last day of history (default today)")
    p.add_argument("--registry", default=None, help="registry SQLAlchemy URL (default: CIVSTAT_REGISTRY_URL or DATA_DIR)")
    p.add_argument("--no-progress", action="store_true", help="bulk: no progress bar")
    p.add_argument("--rate", type=float, default=2.0, help="live: steps per second (default 2)")
    p.add_argument("--duration", type=float, default=None, help="live: stop after this many seconds (default: until Ctrl-C)")
    p.add_argument("--token-file", type=Path, default=None, help="live: JSON file {admin, portal, offices: {office_code: token}}")
    p.add_argument("--offices", type=int, default=12, help="mint-tokens: number of (most populous) offices (default 12)")
    p.set_defaults(func=run)


def _registry_url(args: argparse.Namespace) -> str:
    if args.registry:
        return str(args.registry)
    from registry_api.core.config import get_settings

    return get_settings().registry_url


def run(args: argparse.Namespace) -> int:
    from civstat_cli.main import CliError

    if args.bulk:
        return _bulk(args, CliError)
    if args.mint_tokens:
        from simulator.live import mint_tokens

        if args.offices < 1:
            raise CliError("--offices must be at least 1")
        tokens = mint_tokens(_registry_url(args), n_offices=args.offices)
        path = Path(args.mint_tokens)
        path.write_text(json.dumps(tokens, indent=2), encoding="utf-8")
        os.chmod(path, 0o600)
        print(f"wrote {len(tokens['offices'])} officer tokens, a portal and an admin token to {path}")
        return 0
    return _live(args, CliError)


def _bulk(args: argparse.Namespace, CliError: type[Exception]) -> int:
    from simulator.bulk import load_history
    from simulator.store import RegistryNotEmpty

    if not 0 < args.years <= 30:
        raise CliError(f"--years must be above 0 and at most 30 (got {args.years:g})")
    if not 0 < args.scale <= 10:
        raise CliError(f"--scale must be above 0 and at most 10, 1 being the whole of Morocco (got {args.scale:g})")
    if args.end_date and args.end_date > dt.date.today():
        raise CliError("--end-date cannot be in the future")
    try:
        summary = load_history(_registry_url(args), years=args.years, scale=args.scale, seed=args.seed,
                               end_date=args.end_date, progress=not args.no_progress)
    except RegistryNotEmpty as exc:
        raise CliError(str(exc)) from None
    width = max(len(k) for k in summary)
    for key, value in summary.items():
        print(f"{key:<{width}}  {value}")
    return 0


def _live(args: argparse.Namespace, CliError: type[Exception]) -> int:
    import httpx

    from simulator.live import run_live

    if args.rate <= 0:
        raise CliError("--rate must be positive")
    if args.token_file is None:
        raise CliError("--live needs --token-file (create one with: civstat simulate --mint-tokens FILE)")
    try:
        tokens = json.loads(args.token_file.read_text(encoding="utf-8"))
        if not (tokens.get("offices") or tokens.get("officers")) or not tokens.get("admin") or not tokens.get("portal"):
            raise ValueError
    except FileNotFoundError:
        raise CliError(f"token file {args.token_file} not found") from None
    except (ValueError, AttributeError):
        raise CliError(f"token file {args.token_file} must be JSON with admin, portal and offices") from None
    try:
        stats = run_live(args.live, tokens, args.rate, args.duration, args.seed)
    except httpx.HTTPError as exc:
        raise CliError(f"cannot reach the registry API at {args.live}: {exc.__class__.__name__}") from None
    print(" ".join(f"{k}={v}" for k, v in sorted(stats.items())))
    return 0
