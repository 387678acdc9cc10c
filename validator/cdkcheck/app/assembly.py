"""Read a CDK cloud assembly (cdk.out) into the model.

Stages are nested assemblies, nested stacks are `*.nested.template.json` files
named by their parent's `aws:asset:path` metadata; all are flattened into one
list of stacks, each resource carrying its construct path.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Mapping

from cdkcheck.errors import AssemblyError
from cdkcheck.model import Annotation, Assembly, MissingContext, Resource, Severity, Stack, Template

STACK_ARTIFACT = "aws:cloudformation:stack"
NESTED_ASSEMBLY_ARTIFACT = "cdk:cloud-assembly"
# Newest cloud assembly schema major this reader was checked against.
KNOWN_SCHEMA_MAJOR = 60
VALIDATION_REPORT_NAMES = ("validation-report.json",)

_ANNOTATION_LEVELS = {
    "aws:cdk:error": Severity.ERROR,
    "aws:cdk:warning": Severity.WARNING,
    "aws:cdk:info": Severity.INFO,
}


def load_assembly(directory: Path) -> Assembly:
    directory = Path(directory)
    stacks: list[Stack] = []
    missing: list[MissingContext] = []
    reports: list[Path] = []
    _load_into(directory, stacks, missing, reports, stage_prefix="", visited=())
    return Assembly(
        directory=directory,
        stacks=tuple(stacks),
        missing_context=tuple(missing),
        validation_reports=tuple(reports),
    )


def _load_into(directory: Path, stacks: list, missing: list, reports: list, stage_prefix: str,
               visited: tuple[Path, ...]) -> None:
    manifest_file = directory / "manifest.json"
    if directory.resolve() in visited:  # a Stage whose directoryName leads back up: would recurse forever
        raise AssemblyError("nested assemblies form a cycle", file=str(manifest_file), hint=_RESYNTH)
    visited = (*visited, directory.resolve())
    manifest = _read_json(manifest_file, what="cloud assembly manifest")
    if not isinstance(manifest, dict) or not isinstance(manifest.get("artifacts", {}), dict):
        raise AssemblyError("not a cloud assembly manifest (no 'artifacts' object)", file=str(manifest_file),
                            hint="point --assembly at a cdk.out directory written by 'cdk synth'")
    _check_version(manifest, manifest_file)
    _check_shape(manifest, manifest_file)
    for entry in manifest.get("missing", []) or []:
        missing.append(MissingContext(key=str(entry.get("key", "")), provider=str(entry.get("provider", "")),
                                      props=entry.get("props", {}) or {}))
    reports.extend(p for name in VALIDATION_REPORT_NAMES if (p := directory / name).is_file())

    for artifact_id, artifact in sorted(manifest.get("artifacts", {}).items()):
        kind = artifact.get("type")
        props = artifact.get("properties", {}) or {}
        if kind == NESTED_ASSEMBLY_ARTIFACT:
            sub = props.get("directoryName")
            if not isinstance(sub, str) or not sub:
                raise AssemblyError(f"nested assembly '{artifact_id}' has no directoryName", file=str(manifest_file),
                                    hint=_RESYNTH)
            name = artifact.get("displayName") or artifact_id
            _load_into(directory / sub, stacks, missing, reports, stage_prefix=f"{stage_prefix}{name}/",
                       visited=visited)
        elif kind == STACK_ARTIFACT:
            stacks.extend(_load_stack(directory, manifest_file, artifact_id, artifact, stage_prefix))


def _load_stack(directory: Path, manifest_file: Path, artifact_id: str, artifact: Mapping, stage_prefix: str):
    props = artifact.get("properties", {}) or {}
    template_name = props.get("templateFile")
    if not isinstance(template_name, str) or not template_name:
        raise AssemblyError(f"stack '{artifact_id}' names no templateFile", file=str(manifest_file), hint=_RESYNTH)
    template = load_template(directory / template_name)
    account, region = _parse_environment(artifact.get("environment", ""))
    display = artifact.get("displayName") or f"{stage_prefix}{artifact_id}"
    metadata = _stack_metadata(directory, artifact)
    paths_by_logical_id = {
        entry.get("data"): path.lstrip("/")
        for path, entries in metadata.items()
        for entry in entries or []
        if entry.get("type") == "aws:cdk:logicalId" and isinstance(entry.get("data"), str)
    }
    template = _with_construct_paths(template, paths_by_logical_id)
    annotations = tuple(
        Annotation(level=_ANNOTATION_LEVELS[entry["type"]], message=_annotation_text(entry.get("data")),
                   construct_path=path.lstrip("/"), stack=display)
        for path, entries in sorted(metadata.items())
        for entry in entries or []
        if entry.get("type") in _ANNOTATION_LEVELS
    )
    stack = Stack(
        artifact_id=artifact_id,
        stack_name=props.get("stackName") or artifact_id,
        display_name=display,
        account=account,
        region=region,
        template=template,
        requires_bootstrap_version=props.get("requiresBootstrapStackVersion"),
        bootstrap_version_parameter=props.get("bootstrapStackVersionSsmParameter"),
        deploy_role_arn=_text(props.get("assumeRoleArn")),
        cfn_execution_role_arn=_text(props.get("cloudFormationExecutionRoleArn")),
        annotations=annotations,
    )
    return [stack, *_nested_stacks(directory, stack)]


def _stack_metadata(directory: Path, artifact: Mapping) -> dict:
    """Construct metadata: inline in older manifests, in `additionalMetadataFile` since schema ~40."""
    metadata = {path: entries for path, entries in (artifact.get("metadata", {}) or {}).items()
                if isinstance(entries, list)}
    extra = artifact.get("additionalMetadataFile")
    if isinstance(extra, str):
        data = _read_json(directory / extra, what="stack metadata file")
        if isinstance(data, dict):
            for path, entries in data.items():
                metadata.setdefault(path, [])
                metadata[path] = [*metadata[path], *(entries if isinstance(entries, list) else [])]
    # Entries are read with .get(): anything but an object is not metadata cdkcheck can use.
    return {path: [e for e in entries if isinstance(e, dict)] for path, entries in metadata.items()}


def _nested_stacks(directory: Path, parent: Stack, ancestors: tuple[Path, ...] = ()) -> list[Stack]:
    found = []
    ancestors = (*ancestors, parent.template.path.resolve())
    for resource in parent.template.of_type("AWS::CloudFormation::Stack"):
        asset_path = (resource.metadata or {}).get("aws:asset:path")
        if not isinstance(asset_path, str) or not asset_path.endswith(".template.json"):
            continue  # a nested stack from a URL: nothing local to read
        if (directory / asset_path).resolve() in ancestors:  # would nest itself forever
            raise AssemblyError(f"nested stack '{resource.logical_id}' contains itself",
                                file=str(directory / asset_path), hint=_RESYNTH)
        template = load_template(directory / asset_path)
        # CDK names the resource "<Id>.NestedStack/<Id>.NestedStackResource"; users know it as <Id>.
        short = (resource.construct_path or resource.logical_id).rsplit("/", 1)[-1]
        short = short.removesuffix(".NestedStackResource")
        nested = Stack(
            artifact_id=f"{parent.artifact_id}/{resource.logical_id}",
            stack_name=f"{parent.stack_name}-{resource.logical_id}",
            display_name=f"{parent.display_name}/{short}",
            account=parent.account,
            region=parent.region,
            template=template,
            parent=parent.display_name,
        )
        found.extend([nested, *_nested_stacks(directory, nested, ancestors)])
    return found


def load_template(path: Path) -> Template:
    raw = path.read_bytes() if path.is_file() else None
    if raw is None:
        raise AssemblyError("template file is missing", file=str(path),
                            hint="re-run the synth; the assembly is incomplete")
    if not raw.strip():
        raise AssemblyError("template file is empty", file=str(path), hint=_RESYNTH)
    body = _parse_template_text(raw, path)
    return template_from_body(body, path, sha256=hashlib.sha256(raw).hexdigest(), size_bytes=len(raw))


def template_from_body(body: dict, path: Path, *, sha256: str = "", size_bytes: int = 0) -> Template:
    """A Template from an already parsed body (a deployed template read from the account)."""
    # No Resources at all is what CDK writes for an empty stack (cdk deploy skips it): an empty template.
    resources_raw = body.get("Resources", {})
    if not isinstance(resources_raw, dict):
        raise AssemblyError("template has no Resources object", file=str(path),
                            hint="a CloudFormation template's Resources section is an object of resources")
    resources = {}
    for logical_id, spec in resources_raw.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("Type"), str):
            raise AssemblyError(f"resource '{logical_id}' has no Type", file=str(path),
                                hint="every resource needs a \"Type\" string such as AWS::S3::Bucket")
        resources[logical_id] = _resource(logical_id, spec)
    return Template(path=path, body=body, resources=resources, sha256=sha256, size_bytes=size_bytes)


def _parse_template_text(raw: bytes, path: Path) -> dict:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AssemblyError(f"template is not UTF-8 text: {exc}", file=str(path),
                            hint="CloudFormation templates are UTF-8 JSON or YAML; re-run the synth") from exc
    try:
        body = json.loads(text)
    except json.JSONDecodeError as json_error:
        body = _parse_yaml(text, path, json_error)
    except RecursionError as exc:
        raise AssemblyError("template nests too deeply to read", file=str(path), hint=_RESYNTH) from exc
    if not isinstance(body, dict):
        raise AssemblyError("template is not a JSON/YAML object", file=str(path),
                            hint="a CloudFormation template is an object with a Resources section")
    return body


def _parse_yaml(text: str, path: Path, json_error: json.JSONDecodeError) -> dict:
    if path.suffix.lower() not in {".yaml", ".yml", ".template"} and text.lstrip().startswith(("{", "[")):
        raise AssemblyError(f"template is not valid JSON (line {json_error.lineno}: {json_error.msg})",
                            file=str(path), hint="the file may be truncated; re-run the synth")
    from cfnlint.decode import cfn_yaml  # understands !Ref / !GetAtt short forms

    try:
        return cfn_yaml.loads(text, str(path))
    except Exception as exc:  # cfn-lint raises several decode error types
        raise AssemblyError(f"template is neither valid JSON nor YAML: {exc}".splitlines()[0], file=str(path),
                            hint="the file may be truncated; re-run the synth") from exc


def _resource(logical_id: str, spec: Mapping[str, Any]) -> Resource:
    metadata = spec.get("Metadata") if isinstance(spec.get("Metadata"), dict) else {}
    depends = spec.get("DependsOn", ())
    if isinstance(depends, str):
        depends = (depends,)
    properties = spec.get("Properties") if isinstance(spec.get("Properties"), dict) else {}
    return Resource(
        logical_id=logical_id,
        type=spec["Type"],
        properties=properties,
        construct_path=metadata.get("aws:cdk:path") if isinstance(metadata.get("aws:cdk:path"), str) else None,
        depends_on=tuple(d for d in depends if isinstance(d, str)) if isinstance(depends, (list, tuple)) else (),
        condition=spec.get("Condition") if isinstance(spec.get("Condition"), str) else None,
        deletion_policy=spec.get("DeletionPolicy") if isinstance(spec.get("DeletionPolicy"), str) else None,
        metadata=metadata,
    )


def _with_construct_paths(template: Template, paths_by_logical_id: Mapping[str, str]) -> Template:
    """Fill construct paths the template metadata lacks from the manifest's logicalId entries."""
    if not any(r.construct_path is None and r.logical_id in paths_by_logical_id for r in template.resources.values()):
        return template
    from dataclasses import replace

    resources = {
        lid: replace(r, construct_path=r.construct_path or paths_by_logical_id.get(lid))
        for lid, r in template.resources.items()
    }
    return replace(template, resources=resources)


def _parse_environment(environment: str) -> tuple[str | None, str | None]:
    if not environment.startswith("aws://"):
        return None, None
    account, _, region = environment[len("aws://"):].partition("/")
    return (None if account in ("", "unknown-account") else account,
            None if region in ("", "unknown-region") else region)


def _annotation_text(data: Any) -> str:
    return data if isinstance(data, str) else json.dumps(data, sort_keys=True)


def _check_version(manifest: Mapping, manifest_file: Path) -> None:
    version = str(manifest.get("version", ""))
    major = version.split(".", 1)[0]
    if not major.isdigit():
        raise AssemblyError(f"manifest has no readable schema version ('{version}')", file=str(manifest_file),
                            hint="re-run the synth with a CDK v2 app")
    if int(major) > KNOWN_SCHEMA_MAJOR:
        raise AssemblyError(
            f"cloud assembly schema {version} is newer than cdkcheck understands (up to {KNOWN_SCHEMA_MAJOR}.x)",
            file=str(manifest_file), hint="upgrade cdkcheck, or synthesize with an older aws-cdk-lib")


def _read_json(path: Path, what: str) -> Any:
    if not path.is_file():
        raise AssemblyError(f"{what} not found", file=str(path),
                            hint="point --assembly at a cdk.out directory, or let cdkcheck synthesize the app")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise AssemblyError(f"{what} is not valid JSON: {exc}", file=str(path),
                            hint="the assembly may be half-written; re-run the synth") from exc


_RESYNTH = "the assembly is not one 'cdk synth' writes; re-run the synth"


def _check_shape(manifest: Mapping, manifest_file: Path) -> None:
    """The parts of the manifest the reader relies on have the types the schema gives them."""
    def bad(what: str) -> AssemblyError:
        return AssemblyError(f"manifest {what}", file=str(manifest_file), hint=_RESYNTH)

    missing = manifest.get("missing", []) or []
    if not isinstance(missing, list) or not all(
            isinstance(m, dict) and isinstance(m.get("props", {}) or {}, dict) for m in missing):
        raise bad("'missing' is not a list of context lookups")
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        if not isinstance(artifact, dict):
            raise bad(f"artifact '{artifact_id}' is not an object")
        for key, kind in (("properties", dict), ("metadata", dict), ("environment", str), ("displayName", str),
                          ("additionalMetadataFile", str), ("type", str)):
            if artifact.get(key) is not None and not isinstance(artifact[key], kind):
                raise bad(f"artifact '{artifact_id}' has a malformed '{key}'")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
