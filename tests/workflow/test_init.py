"""cdkcheck init: environments proposed from Stages and stack names, a config that loads, never an overwrite."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner
from workflow_support import REPO

from cdkcheck.app.assembly import load_assembly
from cdkcheck.cli.main import app
from cdkcheck.config import load_config
from cdkcheck.cli.init_config import propose_environments
from cdkcheck.model import Stack, Template
from cdkcheck.engine.selection import select_stacks
from timeouts import scaled


def stack(name: str, account: str | None = "111111111111", region: str | None = "us-east-1",
          parent: str | None = None) -> Stack:
    template = Template(path=Path(f"{name}.template.json"), body={}, resources={}, sha256="")
    return Stack(artifact_id=name.replace("/", ""), stack_name=name.replace("/", "-"), display_name=name,
                 account=account, region=region, template=template, parent=parent)


def test_stack_names_give_one_environment_per_word():
    proposals, leftover = propose_environments([
        stack("Shop-Prod-Api", "222222222222"), stack("Shop-Staging-Api"), stack("Shop-Staging-Db"),
        stack("ShopDevQueues", "333333333333", "eu-west-1"), stack("Shared-Dns", None, None),
        stack("Shop-Staging-Db/Nested", parent="Shop-Staging-Db"),
    ])
    as_tuples = [(p.name, p.stacks, p.account, p.region) for p in proposals]
    assert as_tuples == [
        ("dev", ("*Dev*",), "333333333333", "eu-west-1"),
        ("staging", ("*-Staging-*",), "111111111111", "us-east-1"),
        ("prod", ("*-Prod-*",), "222222222222", "us-east-1"),
    ]
    assert leftover == ["Shared-Dns"]


def test_words_inside_other_words_are_not_environments():
    proposals, leftover = propose_environments([stack("ProductCatalog"), stack("Latest-Testdata")])
    assert proposals == [] and leftover == ["ProductCatalog", "Latest-Testdata"]


def test_stages_become_environments_and_disagreeing_accounts_are_left_open():
    proposals, _ = propose_environments([
        stack("Prod/Api", "222222222222"), stack("Prod/Db", "444444444444"), stack("Beta/Api"),
    ])
    assert [(p.name, p.stacks, p.account) for p in proposals] == [
        ("prod", ("Prod/*",), None),  # usual pipeline order: known environment words first
        ("beta", ("Beta/*",), "111111111111"),
    ]


def init(args: list[str], cache: Path):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CDKCHECK_CACHE_DIR", str(cache))
        return CliRunner().invoke(app, ["init", *args])


@pytest.mark.slow
def test_init_on_a_staged_app_writes_a_config_that_selects_each_stage(tmp_path, synth_cache):
    from cdkcheck.app.synth import read_cdk_app, synthesize

    app_dir = tmp_path / "app"
    shutil.copytree(REPO / "fixtures" / "apps" / "staged", app_dir)
    # Synthesized the way init does, before init adds cdkcheck.toml to the app's inputs: one synth.
    synth = synthesize(read_cdk_app(app_dir), extra_context={}, extra_env={}, cache_root=synth_cache, timeout=scaled(300))
    result = init(["--app", str(app_dir)], synth_cache)
    assert result.exit_code == 0, result.output
    assert "staging (2 stacks), production (2 stacks)" in result.output
    text = (app_dir / "cdkcheck.toml").read_text()
    assert '[environments.staging]\n# From CDK Stage Staging' in text and "# [[suppressions]]" in text
    config = load_config(app_dir)
    assert list(config.environments) == ["staging", "production"]
    assembly = load_assembly(synth.assembly_dir)
    for name in ("staging", "production"):
        environment = config.environment(name)
        selected = [s.display_name for s in select_stacks(assembly, environment)]
        assert selected == [f"{name.capitalize()}/Queues", f"{name.capitalize()}/Storage"]
        assert environment.account == {"staging": "111111111111", "production": "222222222222"}[name]

    again = init(["--app", str(app_dir)], synth_cache)
    assert again.exit_code == 2 and "never overwrites" in again.output
    assert (app_dir / "cdkcheck.toml").read_text() == text


def test_init_refuses_when_pyproject_configures_cdkcheck(tmp_path, synth_cache):
    (tmp_path / "pyproject.toml").write_text("[tool.cdkcheck.environments.staging]\n")
    result = init(["--app", str(tmp_path)], synth_cache)
    assert result.exit_code == 2 and "pyproject.toml" in result.output
    assert not (tmp_path / "cdkcheck.toml").exists()


def test_init_reads_an_existing_assembly_without_synthesizing(tmp_path, synth_cache):
    out = tmp_path / "cdk.out"
    out.mkdir()
    (out / "manifest.json").write_text('{"version": "55.0.0", "artifacts": {"Api-Prod": {'
                                       '"type": "aws:cloudformation:stack", "environment": "aws://unknown-account/'
                                       'unknown-region", "properties": {"templateFile": "t.json"}}}}')
    (out / "t.json").write_text('{"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}')
    result = init(["--app", str(tmp_path), "--assembly", str(out), "-o", str(tmp_path / "gate.toml")], synth_cache)
    assert result.exit_code == 0, result.output
    text = (tmp_path / "gate.toml").read_text()
    assert 'stacks = ["*-Prod"]' in text and '# account = "123456789012"' in text
    assert load_config(tmp_path, tmp_path / "gate.toml").environment("prod").stacks == ("*-Prod",)


def test_stacks_in_three_accounts_become_three_environments():
    """The multi-account hint says `cdkcheck init` writes one environment per account: it does."""
    proposals, leftover = propose_environments([
        stack("mesh-producer-stack", "111111111111"), stack("mesh-consumer1-stack", "222222222222"),
        stack("mesh-consumer2-stack", "333333333333"),
    ])
    assert leftover == []
    assert [(p.name, p.stacks, p.account, p.region) for p in proposals] == [
        ("producer", ("mesh-producer-stack",), "111111111111", "us-east-1"),
        ("consumer1", ("mesh-consumer1-stack",), "222222222222", "us-east-1"),
        ("consumer2", ("mesh-consumer2-stack",), "333333333333", "us-east-1"),
    ]


def test_stacks_sharing_one_account_and_region_stay_one_environment():
    proposals, leftover = propose_environments([stack("Api"), stack("Db")])
    assert proposals == [] and leftover == ["Api", "Db"]


def test_cdk_support_stacks_get_no_environment_of_their_own():
    proposals, leftover = propose_environments([
        stack("Pipeline", "111111111111"), stack("cross-region-stack-111111111111:eu-west-1", region="eu-west-1"),
    ])
    assert proposals == [] and leftover == ["Pipeline", "cross-region-stack-111111111111:eu-west-1"]
