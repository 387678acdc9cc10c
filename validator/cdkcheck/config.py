"""cdkcheck.toml / [tool.cdkcheck]: per-environment settings, validated strictly.

Unknown keys are errors that name the file, the key and the closest valid key:
a typo in a gate's config must not silently turn a check off.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Mapping

from cdkcheck.errors import ConfigError, did_you_mean
from cdkcheck.model import Severity

LIVE_MODES = ("required", "optional", "off")
SEVERITIES = tuple(s.value for s in Severity)

# key -> expected python type(s); the single source for validation and suggestions.
ENVIRONMENT_KEYS: dict[str, tuple[type, ...]] = {
    "stacks": (list,),
    "account": (str,),
    "region": (str,),
    "context": (dict,),
    "app_env": (dict,),  # process variables for the app's synth (os.getenv in app.py)
    "profile": (str,),
    "live": (str,),
    "fail_on": (str,),
    "checkov_blocking": (list,),  # checkov check ids that block in this environment
    "cfn_lint_ignore": (list,),  # cfn-lint rule ids not to run
    "cfn_lint_blocking": (list,),  # cfn-lint rule ids that block here besides the reviewed list ("*" for all)
    "preflight": (str,),  # the cdk-preflight rule pack: "blocking" (default), "advisory" or "off"
    "max_deploy_minutes": (int, float),
    "deploy_time_blocking": (bool,),
    "rules": (dict,),  # rule id -> {enabled, severity, options...}
    "synth_timeout": (int, float),
    "max_facts_age": (int, float),  # seconds an earlier run's account answers may be reused; 0: never
    "max_snapshot_age_hours": (int, float),  # refuse --facts snapshots older than this
    "aws_connect_timeout": (int, float),
    "aws_read_timeout": (int, float),
    # another environment this one deliberately deploys the same stacks as (same account, region, stack names)
    "alias_of": (str,),
}
RULE_SETTING_KEYS = ("enabled", "severity", "options")
TOP_LEVEL_KEYS = ("environments", "defaults", "suppressions", "synth_timeout", "cache_dir")
SUPPRESSION_KEYS = ("rule", "path", "environments", "reason", "expires", "stack")

DEFAULT_SYNTH_TIMEOUT = 300.0
# The cdk-preflight pack per environment: its ERROR rules block (and the pack must run), only advise, or do not run.
PREFLIGHT_MODES = ("blocking", "advisory", "off")
# With no environments configured, every stack is checked as one environment of this name.
IMPLICIT_ENVIRONMENT = "default"
_ENV_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Variables cdkcheck sets for the synth itself: an app_env entry would silently lose to them or break the synth.
_RESERVED_APP_ENV = {
    "CDK_OUTDIR": "cdkcheck chooses the output directory",
    "CDK_CONTEXT_JSON": "use 'context' for synth context",
    "CDK_DEFAULT_ACCOUNT": "use 'account'",
    "CDK_DEFAULT_REGION": "use 'region'",
}


@dataclass(frozen=True)
class RuleSetting:
    enabled: bool = True
    severity: Severity | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SuppressionRule:
    rule: str
    reason: str
    path: str = "*"
    stack: str = "*"
    environments: tuple[str, ...] = ()
    expires: str | None = None


@dataclass(frozen=True)
class EnvironmentConfig:
    name: str
    stacks: tuple[str, ...] | None = None  # None: every stack (or name match without config)
    account: str | None = None
    region: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    app_env: Mapping[str, str] = field(default_factory=dict)  # extra process variables for the synth
    profile: str | None = None
    live: str = "required"
    fail_on: Severity = Severity.ERROR
    checkov_blocking: tuple[str, ...] = ()
    cfn_lint_ignore: tuple[str, ...] = ()
    cfn_lint_blocking: tuple[str, ...] = ()
    preflight: str = "blocking"  # PREFLIGHT_MODES
    max_deploy_minutes: float = 60.0
    deploy_time_blocking: bool = False
    rules: Mapping[str, RuleSetting] = field(default_factory=dict)
    synth_timeout: float = DEFAULT_SYNTH_TIMEOUT
    configured: bool = False  # False: made up from the name, no config entry
    implicit: bool = False  # the one environment of an app without configured environments: every stack
    max_facts_age: float = 0.0  # seconds; 0: every run reads the account afresh
    max_snapshot_age_hours: float | None = None
    aws_connect_timeout: float | None = None  # None: cdkcheck.facts.live.session's default
    aws_read_timeout: float | None = None
    alias_of: str | None = None  # the environment whose stacks this one deploys on purpose (CDKC-X1 opt-out)


@dataclass(frozen=True)
class Config:
    file: Path | None
    environments: Mapping[str, EnvironmentConfig]
    suppressions: tuple[SuppressionRule, ...] = ()
    cache_dir: Path | None = None
    synth_timeout: float = DEFAULT_SYNTH_TIMEOUT

    def environment(self, name: str) -> EnvironmentConfig:
        """The named environment; without a config file, an unconfigured default."""
        if name in self.environments:
            return self.environments[name]
        if not self.environments and name == IMPLICIT_ENVIRONMENT:
            return self.implicit_environment()
        if self.file is None or not self.environments:
            return EnvironmentConfig(name=name, synth_timeout=self.synth_timeout)
        from cdkcheck.errors import UsageError

        known = ", ".join(sorted(self.environments))
        hint = did_you_mean(name, self.environments) or f"configured environments: {known}"
        raise UsageError(f"unknown environment '{name}'", file=str(self.file), hint=hint)

    def default_environments(self) -> list[EnvironmentConfig]:
        """What a run without environment names checks: every configured one, else every stack as one."""
        return list(self.environments.values()) or [self.implicit_environment()]

    def implicit_environment(self) -> EnvironmentConfig:
        """Account and region come from the stacks (or, for env-agnostic stacks, the AWS environment)."""
        return EnvironmentConfig(name=IMPLICIT_ENVIRONMENT, synth_timeout=self.synth_timeout, configured=True,
                                 implicit=True)


def find_config_file(app_dir: Path, explicit: Path | None) -> tuple[Path | None, dict]:
    """Locate and parse the config: --config, cdkcheck.toml, then pyproject's [tool.cdkcheck]."""
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError("config file not found", file=str(explicit),
                              hint="check the --config path")
        return explicit, _read_toml(explicit)
    own = app_dir / "cdkcheck.toml"
    if own.is_file():
        return own, _read_toml(own)
    pyproject = app_dir / "pyproject.toml"
    if pyproject.is_file():
        table = _read_toml(pyproject).get("tool", {}).get("cdkcheck")
        if table is not None:
            return pyproject, table
    return None, {}


def load_config(app_dir: Path, explicit: Path | None = None) -> Config:
    path, raw = find_config_file(app_dir, explicit)
    return parse_config(raw, path)


def parse_config(raw: Mapping[str, Any], path: Path | None) -> Config:
    where = str(path) if path else "<config>"
    _check_keys(raw, TOP_LEVEL_KEYS, where, "")
    timeout = _number(raw.get("synth_timeout", DEFAULT_SYNTH_TIMEOUT), where, "synth_timeout")
    defaults = raw.get("defaults", {})
    _expect_table(defaults, where, "defaults")
    environments_raw = raw.get("environments", {})
    _expect_table(environments_raw, where, "environments")
    environments = {}
    for name, table in environments_raw.items():
        _expect_table(table, where, f"environments.{name}")
        merged = {**defaults, **table}
        environments[name] = _parse_environment(name, merged, where, timeout)
    _check_aliases(environments, where)
    suppressions = tuple(_parse_suppression(i, s, where) for i, s in enumerate(raw.get("suppressions", [])))
    cache_dir = raw.get("cache_dir")
    return Config(
        file=path,
        environments=environments,
        suppressions=suppressions,
        cache_dir=(path.parent / cache_dir) if (cache_dir and path) else None,
        synth_timeout=timeout,
    )


def _parse_environment(name: str, table: Mapping[str, Any], where: str, timeout: float) -> EnvironmentConfig:
    prefix = f"environments.{name}."
    _check_keys(table, ENVIRONMENT_KEYS, where, prefix)
    for key, value in table.items():
        types = ENVIRONMENT_KEYS[key]
        if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
            expected = " or ".join(t.__name__ for t in types)
            raise ConfigError(f"'{prefix}{key}' must be a {expected}, not {type(value).__name__}", file=where)
    live = table.get("live", "required")
    if live not in LIVE_MODES:
        raise ConfigError(f"'{prefix}live' must be one of {', '.join(LIVE_MODES)}, not '{live}'",
                          file=where, hint=did_you_mean(live, LIVE_MODES))
    fail_on = _severity(table.get("fail_on", "error"), where, prefix + "fail_on")
    preflight = table.get("preflight", "blocking")
    if preflight not in PREFLIGHT_MODES:
        raise ConfigError(f"'{prefix}preflight' must be one of {', '.join(PREFLIGHT_MODES)}, not '{preflight}'",
                          file=where, hint=did_you_mean(preflight, PREFLIGHT_MODES))
    for key in ("stacks", "checkov_blocking", "cfn_lint_ignore", "cfn_lint_blocking"):
        if not all(isinstance(v, str) for v in table.get(key, [])):
            raise ConfigError(f"'{prefix}{key}' must be a list of strings", file=where)
    account = table.get("account")
    if account is not None and not (account.isdigit() and len(account) == 12):
        from cdkcheck.template.placeholders import looks_like_placeholder

        what = " (a placeholder)" if looks_like_placeholder(account) or not account.isdigit() else ""
        raise ConfigError(f"'{prefix}account' must be a 12-digit AWS account id, not '{account}'{what}",
                          file=where, hint="put the account's 12-digit id in quotes (account = \"111111111111\"), "
                                           "or delete the line to take the account from the stacks")
        raise ConfigError(f"'{prefix}account' must be a 12-digit AWS account id, not '{account}'", file=where)
    for key in ("max_snapshot_age_hours", "aws_connect_timeout", "aws_read_timeout"):
        if key in table:
            _positive(table[key], where, prefix + key)
    if "max_facts_age" in table and table["max_facts_age"] < 0:
        raise ConfigError(f"'{prefix}max_facts_age' must be 0 (always read the account) or a number of seconds",
                          file=where)
    rules = {rule_id: _parse_rule_setting(rule_id, setting, where, f"{prefix}rules.")
             for rule_id, setting in table.get("rules", {}).items()}
    return EnvironmentConfig(
        name=name,
        stacks=tuple(table["stacks"]) if "stacks" in table else None,
        account=account,
        region=table.get("region"),
        context=dict(table.get("context", {})),
        app_env=_app_env(table.get("app_env", {}), where, prefix + "app_env"),
        profile=table.get("profile"),
        live=live,
        fail_on=fail_on,
        checkov_blocking=tuple(table.get("checkov_blocking", ())),
        cfn_lint_ignore=tuple(table.get("cfn_lint_ignore", ())),
        cfn_lint_blocking=tuple(table.get("cfn_lint_blocking", ())),
        preflight=preflight,
        max_deploy_minutes=float(table.get("max_deploy_minutes", 60)),
        deploy_time_blocking=bool(table.get("deploy_time_blocking", False)),
        rules=rules,
        synth_timeout=float(table.get("synth_timeout", timeout)),
        configured=True,
        max_facts_age=float(table.get("max_facts_age", 0)),
        max_snapshot_age_hours=_float_or_none(table.get("max_snapshot_age_hours")),
        aws_connect_timeout=_float_or_none(table.get("aws_connect_timeout")),
        aws_read_timeout=_float_or_none(table.get("aws_read_timeout")),
        alias_of=table.get("alias_of"),
    )


def _check_aliases(environments: Mapping[str, EnvironmentConfig], where: str) -> None:
    """alias_of must name another configured environment, which is not itself an alias."""
    for name, environment in environments.items():
        target = environment.alias_of
        if target is None:
            continue
        key = f"environments.{name}.alias_of"
        if target == name:
            raise ConfigError(f"'{key}' names the environment itself", file=where,
                              hint="name the environment whose stacks this one deploys on purpose, or delete the line")
        if target not in environments:
            known = ", ".join(sorted(n for n in environments if n != name))
            raise ConfigError(f"'{key}' names '{target}', which is not a configured environment", file=where,
                              hint=did_you_mean(target, environments) or f"configured environments: {known}")
        if environments[target].alias_of is not None:
            raise ConfigError(f"'{key}' names '{target}', which is itself an alias of "
                              f"'{environments[target].alias_of}'", file=where,
                              hint=f"name '{environments[target].alias_of}' instead")


def _app_env(table: Mapping[str, Any], where: str, key: str) -> dict[str, str]:
    for name, value in table.items():
        if not _ENV_VAR_NAME.match(name):
            raise ConfigError(f"'{key}.{name}' is not a process variable name", file=where,
                              hint="use letters, digits and underscores, not starting with a digit")
        if name.upper() in _RESERVED_APP_ENV:
            raise ConfigError(f"'{key}.{name}' is set by cdkcheck for every synth", file=where,
                              hint=_RESERVED_APP_ENV[name.upper()])
        if not isinstance(value, str):
            raise ConfigError(f"'{key}.{name}' must be a string, not {type(value).__name__}", file=where,
                              hint=f'quote it: {name} = "{str(value).lower() if isinstance(value, bool) else value}"')
    return dict(table)


def _parse_rule_setting(rule_id: str, setting: Any, where: str, prefix: str) -> RuleSetting:
    key = f"{prefix}{rule_id}"
    if isinstance(setting, bool):  # shorthand: rules.CDKC-V5 = false
        return RuleSetting(enabled=setting)
    _expect_table(setting, where, key)
    _check_keys(setting, RULE_SETTING_KEYS, where, key + ".")
    severity = setting.get("severity")
    options = setting.get("options", {})
    _expect_table(options, where, key + ".options")
    return RuleSetting(
        enabled=bool(setting.get("enabled", True)),
        severity=_severity(severity, where, key + ".severity") if severity is not None else None,
        options=dict(options),
    )


def _parse_suppression(index: int, table: Any, where: str) -> SuppressionRule:
    key = f"suppressions[{index}]"
    _expect_table(table, where, key)
    _check_keys(table, SUPPRESSION_KEYS, where, key + ".")
    if "rule" not in table:
        raise ConfigError(f"'{key}' needs a 'rule' (a rule id such as CDKC-R4 or CKV_AWS_16)", file=where)
    reason = str(table.get("reason", "")).strip()
    if len(reason) < 10:
        raise ConfigError(f"'{key}.reason' must explain the suppression in at least 10 characters",
                          file=where, hint="say why this finding does not apply, for reviewers")
    expires = table.get("expires")
    if expires is not None:  # a TOML date (expires = 2030-06-30) or the same as a string
        try:
            expires = date.fromisoformat(str(expires)).isoformat()
        except ValueError:
            raise ConfigError(f"'{key}.expires' must be a date such as 2030-06-30, not '{expires}'",
                              file=where) from None
    return SuppressionRule(
        rule=str(table["rule"]),
        reason=reason,
        path=str(table.get("path", "*")),
        stack=str(table.get("stack", "*")),
        environments=tuple(table.get("environments", ())),
        expires=str(expires) if expires is not None else None,
    )


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        hint = ("a bracket, brace or quote opened in the file is never closed" if "end of document" in str(exc)
                else "fix the syntax at the position shown")
        raise ConfigError(f"not valid TOML: {exc}", file=str(path), hint=hint) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config: {exc}", file=str(path)) from exc


def _check_keys(table: Mapping[str, Any], valid, where: str, prefix: str) -> None:
    for key in table:
        if key not in valid:
            hint = did_you_mean(key, valid) or f"valid keys: {', '.join(sorted(valid))}"
            raise ConfigError(f"unknown key '{prefix}{key}'", file=where, hint=hint)


def _expect_table(value: Any, where: str, key: str) -> None:
    if not isinstance(value, dict):
        raise ConfigError(f"'{key}' must be a table", file=where)


def _severity(value: Any, where: str, key: str) -> Severity:
    if value not in SEVERITIES:
        raise ConfigError(f"'{key}' must be one of {', '.join(SEVERITIES)}, not '{value}'",
                          file=where, hint=did_you_mean(str(value), SEVERITIES))
    return Severity(value)


def _number(value: Any, where: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise ConfigError(f"'{key}' must be a positive number of seconds", file=where)
    return float(value)


def _positive(value: Any, where: str, key: str) -> float:
    if value <= 0:
        raise ConfigError(f"'{key}' must be a positive number", file=where)
    return float(value)


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)
