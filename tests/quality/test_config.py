"""Policy comes from quality/config.toml, law from registry_api/reference/rules.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from quality.config import CONFIG_PATH, load_config
from quality.runner import run_check
from quality.suites import SUITES, Inputs
from registry_api.services import rules
from tests.quality import factories as f
from tests.quality.conftest import QUIET_NOW
from tests.quality.test_rules import rows


def test_plausible_ages_come_from_the_registry_rules() -> None:
    cfg = load_config()
    for name in ("mother_age_min", "mother_age_max", "father_age_min", "father_age_max",
                 "marriage_age_min_authorised", "max_age"):
        assert getattr(cfg.plausible, name) == rules.plausible(name)
    suite = SUITES["fct_birth"].build(Inputs(config=cfg))
    [mother] = [e for e in suite.expectations if e.meta["rule"] == "mother_age_plausible"]
    assert (mother.min_value, mother.max_value) == (rules.plausible("mother_age_min"), rules.plausible("mother_age_max"))


def test_a_severity_override_turns_a_warning_into_a_blocking_error(tmp_path: Path) -> None:
    toml = tmp_path / "quality.toml"
    toml.write_text(CONFIG_PATH.read_text() + '\nmother_age_plausible = "error"\n')
    cfg = load_config(toml)
    wh = f.build_warehouse(tmp_path, {"fct_birth": rows([3], mother_age=62)(f.births())})
    assert not run_check("fct_birth_quality", wh, now=QUIET_NOW, render_docs=False).blocking
    out = run_check("fct_birth_quality", wh, now=QUIET_NOW, render_docs=False, config=cfg)
    assert out.blocking and [(r.rule, r.severity) for r in out.failed] == [("mother_age_plausible", "error")]


def test_a_bad_severity_is_refused(tmp_path: Path) -> None:
    toml = tmp_path / "quality.toml"
    toml.write_text('[severity]\nmother_age_plausible = "fatal"\n')
    with pytest.raises(ValueError, match="must be 'error' or 'warn'"):
        load_config(toml)
