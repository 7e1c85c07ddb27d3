"""``civstat datasets list`` and ``civstat datasets release [--name N ...]``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from datasets import catalog


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("datasets", help="curated datasets for other administrations")
    sub = p.add_subparsers(dest="datasets_command", required=True, metavar="ACTION")

    ls = sub.add_parser("list", help="the catalog, with each dataset's latest release")
    ls.set_defaults(func=_list)

    rel = sub.add_parser("release", help="release datasets from the current published warehouse")
    rel.add_argument("--name", action="append", choices=sorted(catalog.DATASETS), help="only this dataset (repeatable)")
    rel.add_argument("--no-quality-gate", action="store_true", help="release even if the last quality run failed (logged)")
    rel.add_argument("--no-cache", action="store_true", help="recompute every suppression pattern")
    rel.set_defaults(func=_release)


def _list(args: argparse.Namespace) -> int:
    from datasets.release import latest_version, releases_root

    root = releases_root()
    print(f"{'dataset':<40} {'disclosure':<17} {'sectors':<45} latest")
    for d in catalog.DATASETS.values():
        print(f"{d.name:<40} {d.disclosure:<17} {','.join(d.sectors):<45} {latest_version(root, d.name) or '-'}")
    return 0


def _release(args: argparse.Namespace) -> int:
    from civstat_cli.main import CliError
    from datasets.pseudonyms import PseudonymKeyError
    from datasets.release import ReleaseError, release_all
    from pipelines.lib.publish import NotPublishedError

    if args.no_quality_gate:
        print("warning: quality gate disabled for this release", file=sys.stderr)
    try:
        results = release_all(names=args.name, quality_gate=not args.no_quality_gate, cache=not args.no_cache)
    except (ReleaseError, PseudonymKeyError, NotPublishedError) as exc:
        raise CliError(str(exc)) from None
    print(format_releases(results))
    return 0


def format_releases(results: list[Any]) -> str:
    """One line per released dataset: version, rows, cells suppressed by disclosure control."""
    lines = [f"{'dataset':<40} {'version':<17} {'rows':>10} {'suppressed':>10} {'seconds':>8}  status"]
    for r in results:
        hidden = r.extra.get("suppressed_cells", r.extra.get("rows_with_suppressed_cells"))
        lines.append(f"{r.name:<40} {r.version:<17} {r.rows:>10,} {'-' if hidden is None else f'{hidden:,}':>10} "
                     f"{r.seconds:>8.2f}  {'new' if r.created else 'unchanged'}")
    return "\n".join(lines)
