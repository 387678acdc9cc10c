"""The cdk-preflight pack through the real CLI: blocking, advisory and off per environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdkcheck.config import parse_config
from cdkcheck.errors import ConfigError
from test_blocking_policy import run_cli, write_assembly

TEMPLATES = Path(__file__).resolve().parent / "analyzers" / "data" / "preflight"
# The pack's own policy is under test: cdkcheck's certificate-region rule (CDKC-C1) would block these templates
# itself, and the environments deploy one stack on purpose (alias_of, else CDKC-X1 blocks the overlap).
RULE_OFF = '[defaults.rules]\n"CDKC-C1" = false\n\n'


def test_preflight_takes_blocking_advisory_or_off():
    config = parse_config({"environments": {"a": {}, "b": {"preflight": "advisory"}, "c": {"preflight": "off"}}},
                          Path("cdkcheck.toml"))
    assert [config.environment(n).preflight for n in "abc"] == ["blocking", "advisory", "off"]
    with pytest.raises(ConfigError, match="preflight' must be one of blocking, advisory, off"):
        parse_config({"environments": {"e": {"preflight": "block"}}}, Path("cdkcheck.toml"))


@pytest.mark.slow
def test_each_environment_gets_the_packs_verdict_its_preflight_setting_asks_for(tmp_path):
    write_assembly(tmp_path / "cdk.out", {"Db": TEMPLATES / "aurora-serverless-v1.template.json",
                                          "Fixed": TEMPLATES / "aurora-serverless-v2.template.json"})
    (tmp_path / "cdkcheck.toml").write_text(
        RULE_OFF + '[environments.blocking]\nstacks = ["Db"]\nlive = "off"\n\n'
        '[environments.advisory]\nstacks = ["Db"]\nlive = "off"\npreflight = "advisory"\nalias_of = "blocking"\n\n'
        '[environments.off]\nstacks = ["Db"]\nlive = "off"\npreflight = "off"\nalias_of = "blocking"\n\n'
        '[environments.fixed]\nstacks = ["Fixed"]\nlive = "off"\n')
    code, report, _ = run_cli("blocking", "advisory", "off", "fixed", "--assembly", "cdk.out", "--offline",
                              cwd=tmp_path)
    environments = {e["name"]: e for e in report["environments"]}
    assert code == 1

    def pack(name):
        return {f["rule_id"]: f for f in environments[name]["findings"] if f["source"] == "cdk-preflight"}

    def check(name):
        return next(c for c in environments[name]["checks"] if c["check"] == "cdk-preflight")

    blocking = environments["blocking"]
    assert blocking["verdict"] == "NO-GO"
    assert pack("blocking")["pf-rds-engine-mode-serverless-retired"]["blocking"] is True
    assert pack("blocking")["pf-cloudfront-acm-cert-region"]["blocking"] is False  # WARN: advice
    assert check("blocking")["status"] == "ran" and "cdk-preflight 1.9.1" in check("blocking")["reason"]
    assert environments["advisory"]["verdict"] == "GO"
    assert not any(f["blocking"] for f in pack("advisory").values()) and pack("advisory")
    assert check("advisory")["status"] == "ran"
    assert environments["off"]["verdict"] == "GO" and not pack("off")
    assert check("off")["status"] == "skipped"
    assert environments["fixed"]["verdict"] == "GO" and not pack("fixed")


@pytest.mark.slow
def test_a_pack_that_cannot_run_leaves_a_blocking_environment_inconclusive_and_an_advisory_one_go(tmp_path,
                                                                                                   monkeypatch):
    from cdkcheck.analyzers import preflight
    from cdkcheck.engine.pipeline import RunOptions, check_environments

    def missing():
        raise preflight.PackUnavailable("cdk-preflight is not installed in this environment")

    monkeypatch.setattr(preflight, "load_pack", missing)
    write_assembly(tmp_path / "cdk.out", {"Fixed": TEMPLATES / "aurora-serverless-v2.template.json"})
    (tmp_path / "cdkcheck.toml").write_text(RULE_OFF + '[environments.blocking]\nlive = "off"\n\n'
                                            '[environments.advisory]\nlive = "off"\npreflight = "advisory"\n'
                                            'alias_of = "blocking"\n')
    run = check_environments(["blocking", "advisory"], RunOptions(
        app_dir=tmp_path, assembly_dir=tmp_path / "cdk.out", config_file=tmp_path / "cdkcheck.toml", offline=True,
        use_cache=False, cache_dir=tmp_path / "cache"))
    verdicts = {e.name: e for e in run.environments}
    assert verdicts["blocking"].verdict.value == "INCONCLUSIVE"
    [unknown] = [c for c in verdicts["blocking"].checks if c.check == "cdk-preflight"]
    assert unknown.status.value == "unknown" and unknown.required and "not installed" in unknown.reason
    assert verdicts["advisory"].verdict.value == "GO"
