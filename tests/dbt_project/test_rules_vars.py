"""The dbt vars that carry the civil-status rules are a faithful mirror of rules.toml."""

from __future__ import annotations

import tomllib

import yaml

from tests.dbt_project.fixtures import DBT_PROJECT_DIR, REPO_ROOT

RULES_TOML = REPO_ROOT / "registry_api" / "reference" / "rules.toml"


def project_vars() -> dict:
    return yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text("utf-8"))["vars"]


def test_every_rules_toml_table_is_mirrored_exactly() -> None:
    rules = tomllib.loads(RULES_TOML.read_text("utf-8"))
    dbt_vars = project_vars()
    for table, values in rules.items():
        assert dbt_vars.get(table) == values, f"dbt_project.yml vars.{table} differs from rules.toml [{table}]"


def test_registry_rules_module_reads_the_same_values() -> None:
    from registry_api.services import rules

    dbt_vars = project_vars()
    for event in ("birth", "death", "marriage", "divorce"):
        assert rules.legal_deadline_days(event) == dbt_vars["deadline_days"][event]
    assert rules.legal_deadline_days("birth", abroad=True) == dbt_vars["deadline_days"]["abroad"]
    assert rules.legal_deadline_days("death", institution_death=True) == dbt_vars["deadline_days"]["institution_death"]
    assert rules.rules()["timeliness"]["late_max_days"] == dbt_vars["timeliness"]["late_max_days"]


def test_models_take_deadlines_from_vars_not_literals() -> None:
    """The deadline and timeliness thresholds appear once, in macros/rules.sql via var()."""
    models = list((DBT_PROJECT_DIR / "models").rglob("*.sql"))
    assert models
    for path in models:
        text = path.read_text("utf-8")
        for literal in ("+ 30", "+ 365", "<= 365", "<= 30"):
            assert literal not in text, f"{path.name} hard-codes a rule threshold ({literal!r})"
    macro = (DBT_PROJECT_DIR / "macros" / "rules.sql").read_text("utf-8")
    assert "var('deadline_days')" in macro and "var('timeliness')['late_max_days']" in macro


def test_holidays_seed_is_a_copy_of_the_registry_holidays() -> None:
    registry = (REPO_ROOT / "registry_api" / "reference" / "holidays.csv").read_bytes()
    seed = (DBT_PROJECT_DIR / "seeds" / "ref_public_holidays.csv").read_bytes()
    assert seed == registry
