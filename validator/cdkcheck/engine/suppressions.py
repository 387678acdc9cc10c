"""Suppressions: a reviewed decision that a finding does not apply, with its reason.

They come from three places:

- the config: `[[suppressions]]` with `rule` (an id or glob), `path` (a
  construct-path glob; naming a construct covers everything under it), `stack`,
  `environments`, a `reason` and an optional `expires` date;
- construct metadata in the CDK code: `node.add_metadata("cdkcheck:suppress",
  [{"id": "CDKC-R4", "reason": "..."}])` covers that construct and its children;
  the same entry in a resource's template `Metadata` (`CfnResource.add_metadata`)
  covers that resource;
- CDK's own acknowledgements, `Validations.of(scope).acknowledge(Acknowledgment(
  id="cdkcheck::CDKC-R4", reason=...))`, recorded as `aws:cdk:acknowledged-rules`
  metadata. `cfn-lint::` and `checkov::` ids name those tools' rules. CDK applies
  `Annotation::` acknowledgements itself by dropping the warning, so those are
  listed as suppressed entries for the audit trail; acknowledged plugin
  violations come from validation-report.json's suppressedViolations.

A suppressed finding stays in every report, marked with its Suppression, and
never blocks. Nothing silently disappears: an expired suppression stops applying
and becomes a finding itself, a suppression aimed at a finding that may not be
suppressed (account-level facts such as quota exhaustion) is refused with a
finding, and a malformed one in code is reported, not guessed at.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from cdkcheck.config import Config, EnvironmentConfig
from cdkcheck.model import Assembly, Finding, Severity, Source, SourceLocation, Stack, Suppression

METADATA_KEY = "cdkcheck:suppress"
ACKNOWLEDGED_KEY = "aws:cdk:acknowledged-rules"
MIN_REASON = 10
EXPIRED = "CDKC-SUPPRESSION-EXPIRED"
REFUSED = "CDKC-SUPPRESSION-REFUSED"
INVALID = "CDKC-SUPPRESSION-INVALID"
# Acknowledgement namespaces cdkcheck applies, and the finding source each is limited to (None: any).
# "cdk-preflight" is the namespace the pack's own plugin reports under, so an app's acknowledgement of a
# pack finding (Validations.of(scope).acknowledge({id: 'cdk-preflight::pf-...'})) applies here too.
ACK_NAMESPACES: Mapping[str, Source | None] = {"cdkcheck": None, "cfn-lint": Source.CFN_LINT,
                                               "checkov": Source.CHECKOV, "cdk-preflight": Source.PREFLIGHT}
ANNOTATION_NAMESPACE = "Annotation"
_HEADER = re.compile(r"^\s*\[\[\s*(?:tool\.cdkcheck\.)?suppressions\s*\]\]", re.MULTILINE)


@dataclass(frozen=True)
class Suppressor:
    """One suppression from any origin, in the single shape matching works on."""

    rule: str  # rule id or glob
    reason: str
    origin: str  # "config", "metadata", "acknowledge"
    label: str  # how reports name it: "cdkcheck.toml suppressions[2]", "metadata on Shop/Db"
    expires: date | None = None
    path_glob: str | None = None  # config: construct-path glob
    stack_glob: str = "*"
    subtree: str | None = None  # code: this construct and everything under it
    resource: tuple[str, str] | None = None  # template metadata: (stack display name, logical id)
    only_source: Source | None = None
    location: SourceLocation | None = None

    def matches(self, f: Finding) -> bool:
        if self.only_source is not None and f.source is not self.only_source:
            return False
        if not fnmatchcase(f.rule_id, self.rule):
            return False
        if self.resource is not None:
            return (f.stack, f.logical_id) == self.resource
        if self.subtree is not None:
            return any(p == self.subtree for p in _ancestors(f))
        if not fnmatchcase(f.stack, self.stack_glob):
            return False
        glob = (self.path_glob or "*").lstrip("/")
        return glob == "*" or any(fnmatchcase(p, glob) for p in _ancestors(f))


def apply_suppressions(findings: Iterable[Finding], config: Config, environment: EnvironmentConfig, *,
                       stacks: Sequence[Stack] = (), assembly: Assembly | None = None,
                       app_dir: Path | None = None, today: date | None = None) -> list[Finding]:
    """Mark findings covered by a live suppression; add findings for expired, refused and malformed ones."""
    today = today or date.today()
    suppressors = config_suppressors(config, environment, app_dir)
    code, problems = code_suppressors(stacks, assembly)
    suppressors += code
    active = [s for s in suppressors if s.expires is None or s.expires >= today]
    expired = [s for s in suppressors if s.expires is not None and s.expires < today]

    out: list[Finding] = []
    refused: list[tuple[Suppressor, Finding]] = []
    for f in findings:
        if f.suppression is None:
            match = next((s for s in active if s.matches(f)), None)
            if match is not None and not f.suppressible:
                refused.append((match, f))
            elif match is not None:
                f = replace(f, suppression=Suppression(reason=match.reason, origin=match.origin,
                                                       expires=match.expires.isoformat() if match.expires else None))
        out.append(f)

    out += problems
    out += [_expired_finding(s, sum(1 for f in out if s.matches(f))) for s in expired]
    out += [_refused_finding(s, f) for s, f in refused]
    out += _acknowledgement_records(stacks, assembly, out)
    return out


# ------------------------------------------------------------------ config


def config_suppressors(config: Config, environment: EnvironmentConfig, app_dir: Path | None) -> list[Suppressor]:
    lines = _header_lines(config.file)
    where = _config_file_label(config.file, app_dir)
    found = []
    for index, rule in enumerate(config.suppressions):
        if rule.environments and environment.name not in rule.environments:
            continue
        line = lines[index] if index < len(lines) else None
        found.append(Suppressor(
            rule=rule.rule,
            reason=rule.reason,
            origin="config",
            label=f"{where} suppressions[{index}]",
            expires=_date(rule.expires),
            path_glob=rule.path,
            stack_glob=rule.stack,
            location=SourceLocation(file=where, line=line, kind="source") if config.file else None,
        ))
    return found


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:  # the config loader validates dates; a bad one here must not silently never expire
        return date.min


def _header_lines(path: Path | None) -> list[int]:
    """Line of each [[suppressions]] header, so findings about one point at it."""
    if path is None:
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    return [text.count("\n", 0, m.start()) + 1 for m in _HEADER.finditer(text)]


def _config_file_label(path: Path | None, app_dir: Path | None) -> str:
    if path is None:
        return "<config>"
    if app_dir is not None:
        try:
            return path.resolve().relative_to(Path(app_dir).resolve()).as_posix()
        except (ValueError, OSError):
            pass
    return str(path)


# -------------------------------------------------------------------- code


def code_suppressors(stacks: Sequence[Stack], assembly: Assembly | None) -> tuple[list[Suppressor], list[Finding]]:
    """Suppressions written in the CDK code: construct metadata, template Metadata, CDK acknowledgements."""
    suppressors: list[Suppressor] = []
    problems: list[Finding] = []
    for stack in stacks:
        for logical_id, resource in sorted(stack.template.resources.items()):
            entries = (resource.metadata or {}).get(METADATA_KEY)
            if entries is None:
                continue
            label = f"template Metadata of {stack.display_name}:{logical_id}"
            made, bad = _metadata_entries(entries, label, stack.display_name,
                                          resource.construct_path, resource=(stack.display_name, logical_id))
            suppressors += made
            problems += bad
    if assembly is not None:
        selected = {s.display_name for s in stacks}
        for path, entry_type, data, stack_name in _construct_metadata(assembly.directory):
            if stack_name not in selected:
                continue  # another environment's stacks: their problems are reported there
            if entry_type == METADATA_KEY:
                made, bad = _metadata_entries(data, f"metadata on {path}", stack_name, path, subtree=path)
                suppressors += made
                problems += bad
            elif entry_type == ACKNOWLEDGED_KEY and isinstance(data, dict):
                made, bad = _acknowledgements(data, path, stack_name)
                suppressors += made
                problems += bad
    return suppressors, problems


def _metadata_entries(entries: Any, label: str, stack: str, construct_path: str | None, *,
                      subtree: str | None = None, resource: tuple[str, str] | None = None):
    made, bad = [], []
    items = entries if isinstance(entries, list) else [entries]
    for i, entry in enumerate(items):
        where = f"{label} [{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"].strip():
            bad.append(_invalid(where, "needs an 'id' (a rule id such as CDKC-R4 or CKV_AWS_16)", stack,
                                construct_path))
            continue
        reason = str(entry.get("reason") or "").strip()
        if len(reason) < MIN_REASON:
            bad.append(_invalid(where, f"needs a 'reason' of at least {MIN_REASON} characters explaining why "
                                       f"{entry['id']} does not apply", stack, construct_path))
            continue
        expires = entry.get("expires")
        parsed = None
        if expires is not None:
            try:
                parsed = date.fromisoformat(str(expires))
            except ValueError:
                bad.append(_invalid(where, f"'expires' must be a date such as 2030-06-30, not '{expires}'", stack,
                                    construct_path))
                continue
        made.append(Suppressor(rule=entry["id"].strip(), reason=reason, origin="metadata", label=where,
                               expires=parsed, subtree=subtree, resource=resource))
    return made, bad


def _acknowledgements(data: Mapping[str, Any], path: str, stack: str):
    made, bad = [], []
    for ack_id, reason in sorted(data.items()):
        namespace, _, rule = str(ack_id).partition("::")
        if namespace not in ACK_NAMESPACES or not rule:
            continue  # CDK's own namespaces: CDK applied those itself
        reason = str(reason or "").strip()
        where = f"acknowledgement {ack_id} on {path}"
        if len(reason) < MIN_REASON:
            bad.append(_invalid(where, f"needs a reason of at least {MIN_REASON} characters", stack, path))
            continue
        made.append(Suppressor(rule=rule, reason=reason, origin="acknowledge", label=where, subtree=path,
                               only_source=ACK_NAMESPACES[namespace]))
    return made, bad


def _acknowledgement_records(stacks: Sequence[Stack], assembly: Assembly | None,
                             findings: Sequence[Finding]) -> list[Finding]:
    """CDK drops an acknowledged warning from the assembly; keep the acknowledgement visible as a suppressed entry."""
    if assembly is None:
        return []
    selected = {s.display_name for s in stacks}
    # The validation report already lists acknowledged plugin violations as suppressed findings.
    present = {(f.rule_id, path) for f in findings if f.suppression is not None for path in _ancestors(f)}
    records = []
    for path, entry_type, data, stack_name in _construct_metadata(assembly.directory):
        if entry_type != ACKNOWLEDGED_KEY or not isinstance(data, dict) or stack_name not in selected:
            continue
        for ack_id, reason in sorted(data.items()):
            # Plugin acknowledgements show up in validation-report.json when the violation happened;
            # only annotation warnings vanish without a trace.
            if str(ack_id).partition("::")[0] != ANNOTATION_NAMESPACE or (str(ack_id), path) in present:
                continue
            records.append(Finding(
                rule_id=str(ack_id),
                source=Source.CDK,
                severity=Severity.WARNING,
                message=f"acknowledged in the CDK code at {path}; CDK removes acknowledged warnings from the "
                        "assembly, so only the acknowledgement is recorded",
                stack=stack_name,
                construct_path=path,
                suppression=Suppression(reason=str(reason or ""), origin="acknowledge"),
            ))
    return records


def _construct_metadata(directory: Path):
    """(construct path, entry type, data, stack display name) for every stack's metadata, Stages included."""
    yield from _walk_manifest(Path(directory), stage_prefix="", seen=set())


def _walk_manifest(directory: Path, stage_prefix: str, seen: set):
    try:
        key = directory.resolve()
        if key in seen:
            return
        seen.add(key)
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return  # the assembly loader reports unreadable assemblies; nothing to add here
    artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    for artifact_id, artifact in sorted((artifacts or {}).items()):
        if not isinstance(artifact, dict):
            continue
        props = artifact.get("properties") or {}
        if artifact.get("type") == "cdk:cloud-assembly" and isinstance(props.get("directoryName"), str):
            name = artifact.get("displayName") or artifact_id
            yield from _walk_manifest(directory / props["directoryName"], f"{stage_prefix}{name}/", seen)
        elif artifact.get("type") == "aws:cloudformation:stack":
            display = artifact.get("displayName") or f"{stage_prefix}{artifact_id}"
            for path, entries in sorted(_artifact_metadata(directory, artifact).items()):
                for entry in entries:
                    if isinstance(entry, dict) and entry.get("type") in (METADATA_KEY, ACKNOWLEDGED_KEY):
                        yield path.lstrip("/"), entry["type"], entry.get("data"), display


def _artifact_metadata(directory: Path, artifact: Mapping[str, Any]) -> dict[str, list]:
    metadata: dict[str, list] = {p: list(e) for p, e in (artifact.get("metadata") or {}).items()
                                 if isinstance(e, list)}
    extra = artifact.get("additionalMetadataFile")
    if isinstance(extra, str):
        try:
            data = json.loads((directory / extra).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        for path, entries in (data.items() if isinstance(data, dict) else ()):
            if isinstance(entries, list):
                metadata.setdefault(path, []).extend(entries)
    return metadata


# ---------------------------------------------------------------- findings


def _ancestors(f: Finding) -> list[str]:
    """The construct path and each parent path ("A/B/C", "A/B", "A"); the stack when there is no path."""
    path = (f.construct_path or "").strip("/")
    if not path:
        return [f.stack] if f.stack else []
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(len(parts), 0, -1)]


def _expired_finding(s: Suppressor, covered: int) -> Finding:
    return Finding(
        rule_id=EXPIRED,
        source=Source.CDKCHECK,
        severity=Severity.WARNING,
        message=f"{s.label} for {s.rule} expired on {s.expires.isoformat() if s.expires else '?'} and no longer "
                f"applies ({covered} finding{'s' if covered != 1 else ''} it covered "
                f"{'are' if covered != 1 else 'is'} reported again); its reason was: {s.reason}",
        fix="fix what it covered, or renew it with a new 'expires' date and an up-to-date reason",
        evidence={"rule": s.rule, "expires": s.expires.isoformat() if s.expires else None, "covered": covered},
        location=s.location,
        suppressible=False,
    )


def _refused_finding(s: Suppressor, f: Finding) -> Finding:
    return Finding(
        rule_id=REFUSED,
        source=Source.CDKCHECK,
        severity=Severity.WARNING,
        message=f"{s.label} cannot suppress {f.rule_id}: it reports an account-level fact, which must be "
                "changed in the account (or the environment's config), not suppressed",
        stack=f.stack,
        logical_id=f.logical_id,
        construct_path=f.construct_path,
        fix=f"remove the suppression for {f.rule_id}; {f.fix}" if f.fix else
            f"remove the suppression for {f.rule_id}",
        evidence={"rule": f.rule_id, "suppression": s.label},
        location=s.location,
        suppressible=False,
    )


def _invalid(where: str, problem: str, stack: str, construct_path: str | None) -> Finding:
    return Finding(
        rule_id=INVALID,
        source=Source.CDKCHECK,
        severity=Severity.WARNING,
        message=f"{where} is ignored: it {problem}",
        stack=stack,
        construct_path=construct_path,
        fix=f'use [{{"id": "CDKC-R4", "reason": "why it does not apply here"}}] as the {METADATA_KEY} value',
        suppressible=False,
    )
