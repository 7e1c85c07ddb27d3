"""Quality asset checks; ``pipelines/definitions.py`` merges ``defs``."""

from pipelines.defs.quality.checks import QualityResource, build_check, build_checks, defs

__all__ = ["QualityResource", "build_check", "build_checks", "defs"]
