from pathlib import Path

import pytest

from cdkcheck.config import Severity, load_config, parse_config
from cdkcheck.errors import ConfigError, UsageError

FULL = """
synth_timeout = 120

[defaults]
region = "us-east-1"

[environments.staging]
stacks = ["CourtCase-Staging*"]
account = "111111111111"
context = { env = "staging" }
profile = "staging"
live = "optional"
fail_on = "warning"
checkov_blocking = ["CKV_AWS_16"]
max_deploy_minutes = 45
rules = { "CDKC-V5" = { severity = "warning", options = { free_ip_headroom = 4 } }, "CDKC-O6" = false }

[environments.production]
stacks = ["CourtCase-Production*"]
region = "eu-west-1"

[[suppressions]]
rule = "CKV_AWS_16"
path = "*/Database/*"
reason = "encryption is enforced by an SCP in this account"
expires = "2027-01-31"
"""


def write(tmp_path: Path, text: str, name: str = "cdkcheck.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_full_config_parses(tmp_path):
    config = load_config(tmp_path, write(tmp_path, FULL))
    staging = config.environment("staging")
    assert staging.stacks == ("CourtCase-Staging*",)
    assert staging.account == "111111111111"
    assert staging.region == "us-east-1"  # from [defaults]
    assert staging.context == {"env": "staging"}
    assert staging.live == "optional"
    assert staging.fail_on is Severity.WARNING
    assert staging.checkov_blocking == ("CKV_AWS_16",)
    assert staging.max_deploy_minutes == 45
    assert staging.synth_timeout == 120
    assert staging.rules["CDKC-V5"].severity is Severity.WARNING
    assert staging.rules["CDKC-V5"].options == {"free_ip_headroom": 4}
    assert staging.rules["CDKC-O6"].enabled is False
    production = config.environment("production")
    assert production.region == "eu-west-1"  # an environment's own value beats [defaults]
    assert production.live == "required"  # fail closed by default
    assert config.suppressions[0].expires == "2027-01-31"


def test_cdkcheck_toml_found_in_app_dir(tmp_path):
    write(tmp_path, FULL)
    assert load_config(tmp_path).file == tmp_path / "cdkcheck.toml"


def test_pyproject_tool_table_is_the_fallback(tmp_path):
    write(tmp_path, '[tool.cdkcheck.environments.dev]\nstacks = ["Dev*"]\n', "pyproject.toml")
    config = load_config(tmp_path)
    assert config.file == tmp_path / "pyproject.toml"
    assert config.environment("dev").stacks == ("Dev*",)


def test_no_config_gives_unconfigured_environments(tmp_path):
    config = load_config(tmp_path)
    assert config.file is None
    env = config.environment("staging")
    assert env.configured is False and env.stacks is None


@pytest.mark.parametrize("text, key, suggestion", [
    ('[environments.staging]\nstack = ["A*"]\n', "environments.staging.stack", "stacks"),
    ('[environments.staging]\nfail_one = "error"\n', "environments.staging.fail_one", "fail_on"),
    ('[enviroments.staging]\n', "enviroments", "environments"),
    ('[environments.staging.rules.CDKC-V5]\nseverity = "warning"\noption = {}\n',
     "environments.staging.rules.CDKC-V5.option", "options"),
])
def test_unknown_key_names_file_key_and_closest(tmp_path, text, key, suggestion):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, path)
    message = str(info.value)
    assert str(path) in message
    assert f"'{key}'" in message
    assert f"did you mean '{suggestion}'" in message


@pytest.mark.parametrize("text, fragment", [
    ('[environments.s]\nlive = "sometimes"\n', "must be one of required, optional, off"),
    ('[environments.s]\nfail_on = "errors"\n', "did you mean 'error'"),
    ('[environments.s]\nstacks = "A*"\n', "must be a list"),
    ('[environments.s]\naccount = "1234"\n', "12-digit"),
    ('[environments.s]\nmax_deploy_minutes = true\n', "must be a int or float"),
    ('[[suppressions]]\nrule = "CDKC-R4"\nreason = "short"\n', "at least 10 characters"),
    ('[[suppressions]]\nreason = "a long enough reason"\n', "needs a 'rule'"),
    ('synth_timeout = -1\n', "positive number"),
    ('[environments.s]\nmax_facts_age = -5\n', "must be 0 (always read the account) or a number of seconds"),
    ('[environments.s]\nmax_facts_age = "2m"\n', "must be a int or float"),
    ('[environments.s]\naws_read_timeout = 0\n', "'environments.s.aws_read_timeout' must be a positive number"),
    ('[environments.s]\nmax_snapshot_age_hours = -1\n', "must be a positive number"),
])
def test_bad_values_are_explained(tmp_path, text, fragment):
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, write(tmp_path, text))
    assert fragment in str(info.value)


def test_malformed_toml_names_the_file(tmp_path):
    path = write(tmp_path, "[environments.staging\nstacks = [")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, path)
    assert str(path) in str(info.value) and "not valid TOML" in str(info.value)


def test_missing_explicit_config_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path, tmp_path / "nope.toml")


def test_unknown_environment_suggests_the_closest(tmp_path):
    config = load_config(tmp_path, write(tmp_path, FULL))
    with pytest.raises(UsageError) as info:
        config.environment("stagign")
    assert "unknown environment 'stagign'" in str(info.value)
    assert "did you mean 'staging'" in str(info.value)
    assert info.value.exit_code == 2


def test_parse_config_without_file_accepts_empty():
    assert parse_config({}, None).environments == {}


def test_account_freshness_and_aws_timeouts_are_per_environment(tmp_path):
    config = load_config(tmp_path, write(tmp_path, """
[defaults]
aws_read_timeout = 20

[environments.ci]
max_facts_age = 120
max_snapshot_age_hours = 24
aws_connect_timeout = 5

[environments.desk]
"""))
    ci, desk = config.environment("ci"), config.environment("desk")
    assert (ci.max_facts_age, ci.max_snapshot_age_hours, ci.aws_connect_timeout, ci.aws_read_timeout) == \
        (120.0, 24.0, 5.0, 20.0)
    assert (desk.max_facts_age, desk.max_snapshot_age_hours, desk.aws_connect_timeout) == (0.0, None, None)


def test_aws_timeouts_from_the_config_yield_to_the_environment(monkeypatch):
    from cdkcheck.facts.live.session import DEFAULT_CONNECT_TIMEOUT, botocore_config

    monkeypatch.delenv("CDKCHECK_AWS_READ_TIMEOUT", raising=False)
    monkeypatch.delenv("CDKCHECK_AWS_CONNECT_TIMEOUT", raising=False)
    configured = botocore_config(read_timeout=20)
    assert configured.read_timeout == 20 and configured.connect_timeout == DEFAULT_CONNECT_TIMEOUT
    monkeypatch.setenv("CDKCHECK_AWS_READ_TIMEOUT", "45")
    assert botocore_config(read_timeout=20).read_timeout == 45
