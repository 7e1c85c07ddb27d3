"""The dbt project, described once and shared by the resource and ``@dbt_assets``.

The manifest is prepared in a build step, never parsed at import time: ``dagster dev`` runs
``prepare_if_dev()`` (dagster-dbt's convention), and ``civstat pipeline`` / ``civstat dagster``
/ the tests call ``prepare_dbt_project()`` before they import the definitions.
``CIVSTAT_DBT_TARGET_PATH`` (relative to dbt_project/) keeps artefacts of concurrent checkouts
or test sessions apart.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from pipelines.defs.resources import dbt_env, resolve

DBT_PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"


def _export_profile_defaults() -> None:
    """profiles.yml reads ``env_var(...)`` even for ``dbt parse``: give it the configured warehouse."""
    _, wh = resolve()
    for key, value in dbt_env(wh).items():
        os.environ.setdefault(key, value)
    # parse with the target matching the configured warehouse (both targets parse the same models)


def _dbt_on_path() -> None:
    """dagster-dbt runs ``dbt`` from PATH (its preparer offers no other way); a virtualenv that
    is used without being activated has it next to the interpreter."""
    bindir = Path(sys.executable).parent
    if shutil.which("dbt") is None and (bindir / "dbt").exists():
        os.environ["PATH"] = f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"


_export_profile_defaults()
_dbt_on_path()

civstat_dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target_path=Path(os.environ.get("CIVSTAT_DBT_TARGET_PATH", "target")),
    target=resolve()[1].kind,
)
civstat_dbt_project.prepare_if_dev()


def prepare_dbt_project() -> Path:
    """Run ``dbt deps`` (if needed) and ``dbt parse`` once; return the manifest path."""
    if not (DBT_PROJECT_DIR / "dbt_project.yml").exists():
        raise FileNotFoundError(f"no dbt project at {DBT_PROJECT_DIR}")
    civstat_dbt_project.preparer.prepare(civstat_dbt_project)
    return civstat_dbt_project.manifest_path
