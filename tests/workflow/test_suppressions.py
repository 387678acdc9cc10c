"""Suppression semantics: reasons required, expiry, unsuppressible findings, suppressions written in CDK code."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from cdkcheck.app.assembly import load_assembly
from cdkcheck.config import EnvironmentConfig, load_config, parse_config
from cdkcheck.errors import ConfigError
from cdkcheck.model import Finding, Severity, Source, Suppression
from cdkcheck.engine.policy import apply_policy
from cdkcheck.engine.suppressions import EXPIRED, INVALID, REFUSED, apply_suppressions
from cdkcheck.engine.verdict import decide

TODAY = date(2026, 3, 1)
STAGING = EnvironmentConfig(name="staging", configured=True)
PRODUCTION = EnvironmentConfig(name="production", configured=True)


def finding(rule_id="CDKC-R4", path="Shop-Staging/Db/Resource", stack="Shop-Staging", logical_id="DbABC",
            source=Source.CDKCHECK, **kwargs) -> Finding:
    return Finding(rule_id=rule_id, source=source, severity=Severity.ERROR, message=f"{rule_id} fails",
                   stack=stack, logical_id=logical_id, construct_path=path, **kwargs)


def config(tmp_path: Path, suppressions: str):
    file = tmp_path / "cdkcheck.toml"
    file.write_text('[environments.staging]\n\n[environments.production]\n' + suppressions)
    return load_config(tmp_path)


def run(findings, cfg, environment=STAGING, **kwargs):
    out = apply_suppressions(findings, cfg, environment, today=TODAY, **kwargs)
    return apply_policy(out, environment)


# ------------------------------------------------------------------- config


def test_config_suppression_needs_a_reason_of_ten_characters(tmp_path):
    with pytest.raises(ConfigError, match="at least 10 characters"):
        config(tmp_path, '[[suppressions]]\nrule = "CDKC-R4"\nreason = "because"\n')
    with pytest.raises(ConfigError, match="at least 10 characters"):
        config(tmp_path, '[[suppressions]]\nrule = "CDKC-R4"\n')


@pytest.mark.parametrize("expires", ['"2026-02-30"', '"next week"', "2026-01-01T10:00:00"])
def test_config_expiry_must_be_a_date(tmp_path, expires):
    with pytest.raises(ConfigError, match="expires' must be a date"):
        config(tmp_path, f'[[suppressions]]\nrule = "CDKC-R4"\nreason = "a long enough reason"\n'
                         f'expires = {expires}\n')


def test_toml_dates_and_date_strings_are_both_accepted():
    for value in ("2026-06-30", '"2026-06-30"'):
        cfg = parse_config({"suppressions": [{"rule": "X", "reason": "a long enough reason",
                                              "expires": __import__("tomllib").loads(f"v = {value}")["v"]}]}, None)
        assert cfg.suppressions[0].expires == "2026-06-30"


def test_matching_finding_is_kept_marked_and_stops_blocking(tmp_path):
    cfg = config(tmp_path, '[[suppressions]]\nrule = "CDKC-R4"\npath = "Shop-Staging/Db"\n'
                           'reason = "the instance is restored from a snapshot of this size"\n')
    out = run([finding(), finding(rule_id="CDKC-R5")], cfg)
    suppressed, other = out
    assert suppressed.suppression == Suppression(reason="the instance is restored from a snapshot of this size",
                                                 origin="config", expires=None)
    assert suppressed.blocking is False and other.blocking is True and other.suppression is None
    assert decide(out, []).value == "NO-GO"  # only the unsuppressed one blocks
    assert decide([suppressed], []).value == "GO"


@pytest.mark.parametrize("table, suppressed", [
    ('rule = "CKV_AWS_*"', True),  # rule glob
    ('rule = "CKV_AWS_16"\npath = "*/Db/*"', True),
    ('rule = "CKV_AWS_16"\npath = "/Shop-Staging/Db/Resource"', True),  # leading slash as in CDK metadata
    ('rule = "CKV_AWS_16"\npath = "Shop-Staging/Queue"', False),
    ('rule = "CKV_AWS_16"\nstack = "Shop-Prod*"', False),
    ('rule = "CKV_AWS_16"\nenvironments = ["production"]', False),
    ('rule = "CKV_AWS_16"\nenvironments = ["staging"]', True),
])
def test_rule_path_stack_and_environment_filters(tmp_path, table, suppressed):
    cfg = config(tmp_path, f'[[suppressions]]\n{table}\nreason = "reviewed: not applicable here"\n')
    out = run([finding(rule_id="CKV_AWS_16", source=Source.CHECKOV)], cfg)
    assert (out[0].suppression is not None) is suppressed


def test_expired_suppression_stops_applying_and_becomes_a_finding(tmp_path):
    cfg = config(tmp_path, '\n[[suppressions]]\nrule = "CDKC-R4"\nreason = "waiting for the storage migration"\n'
                           'expires = 2026-02-28\n')
    out = run([finding()], cfg, app_dir=tmp_path)
    original, expired = out
    assert original.suppression is None and original.blocking
    assert expired.rule_id == EXPIRED and not expired.suppressible
    assert "expired on 2026-02-28" in expired.message and "waiting for the storage migration" in expired.message
    assert expired.location.file == "cdkcheck.toml" and expired.location.line == 4  # the [[suppressions]] line


def test_suppression_is_live_through_its_expiry_day(tmp_path):
    cfg = config(tmp_path, '[[suppressions]]\nrule = "CDKC-R4"\nreason = "waiting for the storage migration"\n'
                           'expires = 2026-03-01\n')
    out = run([finding()], cfg)
    assert len(out) == 1 and out[0].suppression.expires == "2026-03-01"


def test_account_level_findings_cannot_be_suppressed(tmp_path):
    cfg = config(tmp_path, '[[suppressions]]\nrule = "CDKC-L*"\nreason = "we will raise the quota next week"\n')
    quota = finding(rule_id="CDKC-L2", path=None, logical_id=None, suppressible=False)
    out = run([quota], cfg)
    original, refused = out
    assert original.suppression is None and original.blocking
    assert refused.rule_id == REFUSED and "cannot suppress CDKC-L2" in refused.message
    assert not refused.suppressible and refused.severity is Severity.WARNING


def test_findings_about_suppressions_cannot_themselves_be_suppressed(tmp_path):
    cfg = config(tmp_path, '[[suppressions]]\nrule = "CDKC-R4"\nreason = "waiting for the storage migration"\n'
                           'expires = 2020-01-01\n'
                           '[[suppressions]]\nrule = "CDKC-SUPPRESSION-*"\nreason = "hide every expiry warning"\n')
    out = run([finding()], cfg)
    assert {f.rule_id for f in out if f.suppression is None} == {"CDKC-R4", EXPIRED}


def test_suppressions_already_made_by_an_analyzer_are_kept(tmp_path):
    cfg = config(tmp_path, '[[suppressions]]\nrule = "*"\nreason = "a catch-all that must not win"\n')
    skipped = finding(rule_id="CKV_AWS_16", source=Source.CHECKOV,
                      suppression=Suppression(reason="checkov skip comment", origin="checkov"))
    assert run([skipped], cfg)[0].suppression.origin == "checkov"


# ------------------------------------------------------------- in CDK code


def write_assembly(root: Path, *, resource_metadata=None, construct_metadata=None) -> Path:
    """A one-stack cloud assembly on disk, shaped as CDK 2.27x writes it."""
    root.mkdir(parents=True)
    template = {"Resources": {
        "DbABC": {"Type": "AWS::RDS::DBInstance", "Properties": {},
                  "Metadata": {"aws:cdk:path": "Shop-Staging/Db/Resource", **(resource_metadata or {})}},
        "QueueXYZ": {"Type": "AWS::SQS::Queue", "Properties": {},
                     "Metadata": {"aws:cdk:path": "Shop-Staging/Queue/Resource"}},
    }}
    (root / "Shop-Staging.template.json").write_text(json.dumps(template))
    metadata = {"/Shop-Staging/Db/Resource": [{"type": "aws:cdk:logicalId", "data": "DbABC"}],
                "/Shop-Staging/Queue/Resource": [{"type": "aws:cdk:logicalId", "data": "QueueXYZ"}]}
    for path, entries in (construct_metadata or {}).items():
        metadata.setdefault(path, []).extend(entries)
    (root / "Shop-Staging.metadata.json").write_text(json.dumps(metadata))
    (root / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": {"Shop-Staging": {
        "type": "aws:cloudformation:stack", "environment": "aws://111111111111/us-east-1",
        "properties": {"templateFile": "Shop-Staging.template.json"},
        "additionalMetadataFile": "Shop-Staging.metadata.json", "displayName": "Shop-Staging"}}}))
    return root


def in_code(tmp_path, findings, **assembly_kwargs):
    assembly = load_assembly(write_assembly(tmp_path / "cdk.out", **assembly_kwargs))
    cfg = parse_config({"environments": {"staging": {}}}, None)
    return run(findings, cfg, stacks=assembly.stacks, assembly=assembly)


def test_construct_metadata_covers_the_construct_and_its_children(tmp_path):
    out = in_code(tmp_path, [finding(), finding(path="Shop-Staging/Queue/Resource", logical_id="QueueXYZ")],
                  construct_metadata={"/Shop-Staging/Db": [{"type": "cdkcheck:suppress", "data": [
                      {"id": "CDKC-R4", "reason": "restored from a snapshot of this exact size"}]}]})
    assert out[0].suppression == Suppression("restored from a snapshot of this exact size", "metadata")
    assert out[1].suppression is None


def test_template_metadata_covers_its_resource(tmp_path):
    out = in_code(tmp_path, [finding(rule_id="CKV_AWS_16", source=Source.CHECKOV)],
                  resource_metadata={"cdkcheck:suppress": [
                      {"id": "CKV_AWS_16", "reason": "encrypted by the snapshot it restores from"}]})
    assert out[0].suppression.origin == "metadata" and not out[0].blocking


def test_code_suppression_without_a_reason_is_reported_not_applied(tmp_path):
    out = in_code(tmp_path, [finding()], construct_metadata={"/Shop-Staging/Db": [
        {"type": "cdkcheck:suppress", "data": [{"id": "CDKC-R4", "reason": "short"}, {"reason": "no id here"}]}]})
    assert out[0].suppression is None and out[0].blocking
    problems = [f for f in out if f.rule_id == INVALID]
    assert len(problems) == 2 and all(p.construct_path == "Shop-Staging/Db" for p in problems)
    assert "at least 10 characters" in problems[0].message and "needs an 'id'" in problems[1].message


def test_cdk_acknowledgements_suppress_cdkcheck_ids_and_are_listed(tmp_path):
    acknowledged = {"type": "aws:cdk:acknowledged-rules", "data": {
        "cdkcheck::CDKC-R4": "restored from a snapshot of this exact size",
        "checkov::CKV_AWS_16": "encrypted by the snapshot it restores from",
        "Annotation::@aws-cdk/aws-rds:noBackups": "backups are taken by AWS Backup",
        "CloudFormation-Validate::W3010": "no violation reported: nothing to list",
    }}
    findings = [finding(), finding(rule_id="CKV_AWS_16", source=Source.CDKCHECK)]
    out = in_code(tmp_path, findings, construct_metadata={"/Shop-Staging/Db": [acknowledged]})
    r4, not_checkov, record = out
    assert r4.suppression == Suppression("restored from a snapshot of this exact size", "acknowledge")
    assert not_checkov.suppression is None  # checkov:: names checkov's finding only
    # CDK drops an acknowledged warning; the acknowledgement stays visible, suppressed.
    assert record.rule_id == "Annotation::@aws-cdk/aws-rds:noBackups" and record.source is Source.CDK
    assert record.suppression.reason == "backups are taken by AWS Backup" and not record.blocking


def test_unsuppressible_finding_refuses_code_suppressions_too(tmp_path):
    quota = finding(rule_id="CDKC-L2", suppressible=False)
    out = in_code(tmp_path, [quota], construct_metadata={"/Shop-Staging": [{"type": "cdkcheck:suppress", "data": [
        {"id": "CDKC-L2", "reason": "the quota will be raised before we deploy"}]}]})
    assert out[0].suppression is None and out[0].blocking
    assert out[1].rule_id == REFUSED and "metadata on Shop-Staging" in out[1].message
