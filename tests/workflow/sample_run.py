"""A hand-built RunResult covering every shape a reporter must handle, for fast unit tests."""

from __future__ import annotations

from cdkcheck.model import (
    CheckOutcome, CheckStatus, EnvironmentResult, Finding, RunResult, Severity, Source, SourceLocation,
    Suppression, Verdict,
)


def sample_run() -> RunResult:
    blocking = Finding(
        rule_id="CDKC-ENV-ACCOUNT", source=Source.CDKCHECK, severity=Severity.ERROR,
        message="stack is bound to account 222222222222 but environment 'staging' deploys to 111111111111",
        stack="Shop-Staging", fix="set the stack's env account", blocking=True,
    )
    located = Finding(
        rule_id="E3002", source=Source.CFN_LINT, severity=Severity.ERROR,
        message="Additional properties are not allowed ('Bogus' was unexpected)\nsecond line | with pipe",
        stack="Shop-Staging", logical_id="Queue4A7E3555", construct_path="Shop-Staging/Queue/Resource",
        property_path="Resources/Queue4A7E3555/Properties/Bogus", blocking=True,
        location=SourceLocation(file="app.py", line=12, kind="source"),
    )
    advisory = Finding(
        rule_id="CKV_AWS_27", source=Source.CHECKOV, severity=Severity.WARNING,
        message="Ensure all data stored in the SQS queue is encrypted", stack="Shop-Staging",
        logical_id="Queue4A7E3555", construct_path="Shop-Staging/Queue/Resource",
        location=SourceLocation(file="Shop-Staging.template.json", line=3, kind="template"),
    )
    info = Finding(
        rule_id="CDK-MISSING-CONTEXT", source=Source.CDK, severity=Severity.INFO,
        message="note: 100% of <things>, a:b,c", stack="",
    )
    suppressed = Finding(
        rule_id="CKV_AWS_16", source=Source.CHECKOV, severity=Severity.WARNING,
        message="Ensure all data stored in the RDS is securely encrypted at rest", stack="Shop-Staging",
        logical_id="Db", construct_path="Shop-Staging/Db/Resource",
        suppression=Suppression(reason="encrypted by the snapshot it restores from", origin="config",
                                expires="2099-01-01"),
        location=SourceLocation(file="stacks/data.py", line=40, kind="source"),
    )
    staging = EnvironmentResult(
        name="staging", verdict=Verdict.NO_GO, stacks=("Shop-Staging",),
        findings=(blocking, located, advisory, info, suppressed),
        checks=(
            CheckOutcome("cfn-lint", CheckStatus.RAN),
            CheckOutcome("checkov", CheckStatus.RAN),
            CheckOutcome("live", CheckStatus.SKIPPED, "--offline: no AWS calls made"),
            CheckOutcome("rule:CDKC-R8", CheckStatus.UNKNOWN, "Db: quota not readable", required=True,
                         stack="Shop-Staging"),
        ),
        region="us-east-1", account="111111111111",
    )
    production = EnvironmentResult(
        name="production", verdict=Verdict.GO, stacks=("Shop-Production",), findings=(),
        checks=(CheckOutcome("cfn-lint", CheckStatus.RAN), CheckOutcome("checkov", CheckStatus.RAN)),
        region="us-east-1", account="222222222222",
    )
    return RunResult(environments=(staging, production))
