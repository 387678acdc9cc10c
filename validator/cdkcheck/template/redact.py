"""Keep secret values out of reports.

cfn-lint quotes the offending value in many messages ("{'password': '...'} is not of
type 'string'"), a failing app's stderr can hold anything from its environment, and
every report format is meant to be uploaded (SARIF, job summaries, PR comments). So
before a result leaves the pipeline, every value that is secret by construction is
replaced wherever it appears: NoEcho parameter defaults, literals under secret-named
properties (SecretString, MasterUserPassword, AuthToken, ...), secret-named
environment variables of functions and containers, and the values of this process's
own secret-named environment variables (AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, ...).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import replace
from typing import Any, Iterable, Mapping

from cdkcheck.model import EnvironmentResult, Finding, Stack

MASK = "***"
# Shorter values are words more often than secrets ("true", "admin"); masking them would garble messages.
MIN_SECRET_LENGTH = 6
SECRET_NAME = re.compile(r"password|passwd|passphrase|secret|token|credential|private_?key|api_?key|access_?key"
                         r"|session_?key", re.IGNORECASE)
# Secret-named keys whose values are references or settings, not the secret itself (ECS ValueFrom and
# RepositoryCredentials.CredentialsParameter hold a secret's ARN).
NOT_A_SECRET_VALUE = re.compile(r"(arn|id|ids|name|type|length|enabled|rotation|policy|parameter|valuefrom"
                                r"|manage\w*|generate\w*)$",
                                re.IGNORECASE)
# Intrinsics whose arguments are names of things, never secret text.
_REFERENCES = {"Ref", "Fn::GetAtt", "Fn::ImportValue", "Fn::FindInMap", "Condition", "Fn::GetAZs"}


def secret_values(stacks: Iterable[Stack], environ: Mapping[str, str] | None = None) -> frozenset[str]:
    found: set[str] = set()
    for stack in stacks:
        found.update(template_secrets(stack.template.body))
    environ = os.environ if environ is None else environ
    found.update(value for name, value in environ.items() if SECRET_NAME.search(name))
    return frozenset(s for s in found if len(s) >= MIN_SECRET_LENGTH and not s.startswith("{{resolve:"))


def template_secrets(body: Any) -> frozenset[str]:
    """The secret literals of one template body (NoEcho defaults, secret-named properties)."""
    found: set[str] = set()
    parameters = body.get("Parameters") if isinstance(body, Mapping) else None
    for declaration in (parameters or {}).values() if isinstance(parameters, Mapping) else ():
        if isinstance(declaration, Mapping) and str(declaration.get("NoEcho", "")).lower() == "true":
            found.update(_literals(declaration.get("Default")))
    resources = body.get("Resources") if isinstance(body, Mapping) else None
    for spec in resources.values() if isinstance(resources, Mapping) else ():
        if isinstance(spec, Mapping) and isinstance(spec.get("Properties"), Mapping):
            _secret_properties(spec["Properties"], found)
    return frozenset(s for s in found if len(s) >= MIN_SECRET_LENGTH and not s.startswith("{{resolve:"))


def mask_secrets(value: Any, secrets: frozenset[str]) -> Any:
    """`value` with every string equal to a secret replaced by MASK (structure kept, for templates)."""
    if not secrets:
        return value
    if isinstance(value, str):
        return MASK if value in secrets else value
    if isinstance(value, Mapping):
        return {k: mask_secrets(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_secrets(v, secrets) for v in value]
    return value


def redact_text(text: str, secrets: frozenset[str]) -> str:
    if not secrets or not isinstance(text, str):
        return text
    for secret in sorted(secrets, key=len, reverse=True):
        # As written, and as Python's repr() and JSON would quote it inside a message.
        for form in {secret, repr(secret)[1:-1], json.dumps(secret)[1:-1]}:
            if form in text:
                text = text.replace(form, MASK)
    return text


def redact_findings(findings: Iterable[Finding], secrets: frozenset[str]) -> list[Finding]:
    if not secrets:
        return list(findings)
    return [replace(f, message=redact_text(f.message, secrets), fix=_redact(f.fix, secrets),
                    property_path=_redact(f.property_path, secrets), evidence=_redact(dict(f.evidence), secrets))
            for f in findings]


def redact_result(result: EnvironmentResult, secrets: frozenset[str]) -> EnvironmentResult:
    if not secrets:
        return result
    findings = tuple(redact_findings(result.findings, secrets))
    checks = tuple(replace(o, reason=redact_text(o.reason, secrets)) for o in result.checks)
    return replace(result, findings=findings, checks=checks, details=_redact(dict(result.details), secrets))


def _redact(value: Any, secrets: frozenset[str]) -> Any:
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, Mapping):
        return {k: _redact(v, secrets) for k, v in value.items()}
    if isinstance(value, list) or type(value) is tuple:
        return type(value)(_redact(v, secrets) for v in value)
    return value


def _secret_properties(value: Any, found: set[str]) -> None:
    if isinstance(value, Mapping):
        if len(value) == 1 and next(iter(value)) in _REFERENCES:
            return
        # {"Name": "DB_PASSWORD", "Value": "..."}: ECS container environment entries.
        name = value.get("Name")
        if isinstance(name, str) and SECRET_NAME.search(name) and "Value" in value:
            found.update(_literals(value["Value"]))
        for key, inner in value.items():
            if isinstance(key, str) and SECRET_NAME.search(key) and not NOT_A_SECRET_VALUE.search(key):
                found.update(_literals(inner))
            else:
                _secret_properties(inner, found)
    elif isinstance(value, list):
        for item in value:
            _secret_properties(item, found)


def _literals(value: Any) -> Iterable[str]:
    """Every literal inside a value (a JSON object given as SecretString, a Fn::Join of parts)."""
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, (str, int, float)):
        yield str(value)
    elif isinstance(value, Mapping):
        if len(value) == 1 and next(iter(value)) in _REFERENCES:
            return
        if len(value) == 1 and next(iter(value)) in ("Fn::Join", "Fn::Sub") and "{{resolve:" in json.dumps(value):
            return  # a dynamic reference built from parts (as CDK writes it): names a secret, holds none
        for key, inner in value.items():
            if not (isinstance(key, str) and NOT_A_SECRET_VALUE.search(key)):  # MasterUserSecret.SecretArn
                yield from _literals(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _literals(inner)
