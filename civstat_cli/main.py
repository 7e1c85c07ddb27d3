"""``civstat``: one command line for the platform.

Each package contributes its sub-commands through a ``register(subparsers)`` function in its
``cli`` module; errors print one line on stderr and exit non-zero.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from civstat_cli.errors import CliError

# Offline and private by default: no telemetry from any tool we drive.
for _k, _v in {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "DO_NOT_TRACK": "1",
    "GX_ANALYTICS_ENABLED": "False",
    "DAGSTER_DISABLE_TELEMETRY": "1",
    "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
}.items():
    os.environ.setdefault(_k, _v)

COMMAND_MODULES = (
    "registry_api.cli",
    "simulator.cli",
    "pipelines.cli",
    "quality.cli",
    "dashboards.cli",
    "datasets.cli",
    "civstat_cli.demo",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="civstat", description="Civil-status statistics platform")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue  # that part of the platform is not installed in this checkout
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except CliError as exc:
        print(f"civstat {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
