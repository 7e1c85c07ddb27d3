"""The CLI's user-error type (its own module so ``python -m civstat_cli.main`` shares the class)."""

from __future__ import annotations


class CliError(Exception):
    """A user error: printed as one line on stderr, exit code 2."""
