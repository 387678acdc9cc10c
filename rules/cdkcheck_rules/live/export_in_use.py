"""CDKC-L13: an update removes a CloudFormation export that another stack still imports.

CloudFormation refuses to delete or change an export while any stack imports it ("Export X cannot be
deleted as it is in use by Y"), and the update rolls back. The exports a deployed stack has come from
cloudformation:ListExports (one listing); only the removed ones are asked cloudformation:ListImports.
"""

from __future__ import annotations

import json
from typing import Any, Iterator, Mapping

from cdkcheck.facts.interface import FactUnavailable
from cdkcheck.model import Severity, Stack
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, SourcedFact, Undetermined, Violation
from cdkcheck.template.intrinsics import env_for_stack, resolve
from cdkcheck_rules.live.common import require_account

DOCS = "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-exports.html"

META = RuleMeta(
    id="CDKC-L13",
    name="export-still-imported",
    summary="A deployed stack's update removes (or renames) an export that another stack still imports.",
    severity=Severity.ERROR,
    resource_types=("AWS::CloudFormation::Stack",),
    rationale=(
        "'You can't delete a stack if another stack references one of its outputs' and 'you can't modify or remove "
        "an output value that is referenced by another stack': the update fails with 'Export X cannot be deleted "
        "as it is in use by Y' and rolls back: the 'deadly embrace' CDK's cross-stack references run into when a "
        "consumer stops using a producer's value. The deployed stack's exports come from "
        "cloudformation:ListExports, their importers from cloudformation:ListImports. A stack of the same "
        "selection whose new template no longer imports the export is not counted: cdk deploy updates it first "
        "only if it depends on the producer, so the warning says so."
    ),
    docs_url=DOCS,
    fix="Keep the export until no stack imports it (CDK: this.exportValue(...) on the producer for one deploy), "
        "then remove it in a later deploy.",
    example="Moving a bucket reference out of a consumer stack: the producer's Fn::ImportValue export disappears "
            "while the consumer still imports it.",
    needs_live=True,
    facts=(SourcedFact("An export cannot be removed or changed while another stack imports it", DOCS),),
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    candidates = [s for s in ctx.stacks if not s.is_nested]
    if not candidates:
        return
    require_account(ctx)
    try:
        exports = ctx.facts.cloudformation_exports()
    except FactUnavailable as unavailable:
        yield Undetermined(candidates[0], None, unavailable.reason)
        return
    for stack in candidates:
        try:
            deployed = ctx.facts.deployed_stack(stack.stack_name)
        except FactUnavailable as unavailable:
            yield Undetermined(stack, None, unavailable.reason)
            continue
        if deployed is None:
            continue
        had = sorted(name for name, owner in exports.items() if owner == deployed.stack_id)
        if not had:
            continue
        keeps = _export_names(ctx, stack)
        if keeps is None:
            yield Undetermined(stack, None, "an export name of the new template is known only at deploy time",
                               required=False)
            continue
        for name in had:
            if name in keeps:
                continue
            try:
                importers = ctx.facts.export_importers(name)
            except FactUnavailable as unavailable:
                yield Undetermined(stack, None, f"export {name}: {unavailable.reason}")
                continue
            still = [i for i in importers if not _stops_importing(ctx, i, name)]
            if not importers:
                continue
            yield Violation(
                stack=stack, logical_id=None,
                message=f"the update removes export '{name}', which {', '.join(importers)} "
                        f"{'imports' if len(importers) == 1 else 'import'}: CloudFormation refuses it ('Export "
                        f"{name} cannot be deleted as it is in use by {importers[0]}')",
                evidence={"export": name, "importers": list(importers), "source": "cloudformation.list_imports",
                          "docs": DOCS},
                severity=None if still else Severity.WARNING,
                fix="Keep the export for one more deploy (this.exportValue), deploy the importing stacks, then "
                    "remove it." if still else
                "The importing stacks of this run stop importing it: deploy them before this one.")


def _export_names(ctx: RuleContext, stack: Stack) -> set[str] | None:
    outputs = stack.template.body.get("Outputs") if isinstance(stack.template.body, Mapping) else None
    names: set[str] = set()
    env = env_for_stack(stack, region=ctx.environment.region, account=ctx.environment.account, stacks=ctx.stacks)
    for output in (outputs or {}).values() if isinstance(outputs, Mapping) else ():
        if isinstance(output, Mapping) and isinstance(output.get("Export"), Mapping):
            name = resolve(output["Export"].get("Name"), stack.template, env)
            if not isinstance(name, str):
                return None
            names.add(name)
    return names


def _stops_importing(ctx: RuleContext, importer: str, export: str) -> bool:
    """An importing stack of this selection whose new template no longer imports the export."""
    stack = next((s for s in ctx.stacks if s.stack_name == importer), None)
    if stack is None:
        return False
    return export not in json.dumps(_imports(stack.template.body))


def _imports(value: Any) -> list:
    found = []
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if key == "Fn::ImportValue":
                found.append(inner)
            else:
                found.extend(_imports(inner))
    elif isinstance(value, list):
        for inner in value:
            found.extend(_imports(inner))
    return found


RULE = Rule(meta=META, evaluate=evaluate)
