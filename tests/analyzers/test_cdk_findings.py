from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace

import pytest

from cdkcheck.analyzers import ANALYZER_FAILED
from cdkcheck.analyzers.cdk import (
    annotation_findings,
    annotation_rule_id,
    preferred_reports,
    split_annotation,
    validation_report_findings,
)
from cdkcheck.app.assembly import load_assembly
from cdkcheck.model import Annotation, Severity, Source
from cdkcheck.app.synth import bundled_node_dir
from timeouts import scaled

# The two warnings data/orders_app.py adds, as CDK writes them into the stack metadata.
REVIEW = Annotation(Severity.WARNING, "Capacity review is pending [ack: Annotation::ReviewPending]",
                    "Prod/Orders", "Prod/Orders")
TUNING = Annotation(Severity.WARNING, "Queue tuning has not been reviewed [ack: orders:queue-tuning]",
                    "Prod/Orders/Queue", "Prod/Orders")


def without_annotations(assembly):
    return replace(assembly, stacks=tuple(replace(s, annotations=()) for s in assembly.stacks))


def with_annotations(assembly, *annotations):
    main, *rest = assembly.stacks
    return replace(assembly, stacks=(replace(main, annotations=annotations), *rest))


# ---------------------------------------------------------------- annotations


def test_annotation_ids_and_messages_are_separated():
    assert split_annotation("Queue tuning is off [ack: my-lib:tuning]") == ("Queue tuning is off", "my-lib:tuning")
    assert split_annotation("Bad capacity (Annotation::Capacity)") == ("Bad capacity", "Annotation::Capacity")
    assert split_annotation("Uses (parentheses) freely") == ("Uses (parentheses) freely", None)
    assert annotation_rule_id("my-lib:tuning") == "Annotation::my-lib:tuning"
    assert annotation_rule_id("annotation::Acked") == "Annotation::Acked"
    assert annotation_rule_id("CloudFormation-Validate::W2501") == "CloudFormation-Validate::W2501"


def test_annotations_become_findings_on_the_resource_they_name(orders):
    main, nested = orders.stacks
    main = replace(main, annotations=(
        TUNING,
        REVIEW,
        Annotation(Severity.ERROR, "Cannot size the pool (Annotation::PoolSize)", "Prod/Orders/Database", "Prod/Orders"),
        Annotation(Severity.INFO, "Consider a dead-letter queue", "Prod/Orders/Archive/ArchiveQueue", "Prod/Orders"),
        Annotation(Severity.WARNING, "Plain warning without an id", "Prod/Orders/Database", "Prod/Orders"),
    ), source_locations={"Prod/Orders/Database": ("orders_app.py", 24)})
    found = annotation_findings([main, nested])

    assert [f.rule_id for f in found] == ["Annotation::orders:queue-tuning", "Annotation::ReviewPending",
                                          "Annotation::PoolSize", "CDK-ANNOTATION-INFO", "CDK-ANNOTATION-WARNING"]
    tuning, review, pool, dead_letter, plain = found
    assert all(f.source is Source.CDK and not f.blocking for f in found)
    assert (tuning.message, tuning.severity, tuning.logical_id) == (
        "Queue tuning has not been reviewed", Severity.WARNING, "Queue")
    assert (review.stack, review.logical_id, review.construct_path) == ("Prod/Orders", None, "Prod/Orders")
    assert (pool.severity, pool.message, pool.logical_id) == (Severity.ERROR, "Cannot size the pool", "Database")
    assert (pool.location.file, pool.location.line, pool.location.kind) == ("orders_app.py", 24, "source")
    # Reported in the parent's metadata, but the resource lives in the nested stack.
    assert (dead_letter.stack, dead_letter.logical_id, dead_letter.severity) == (
        "Prod/Orders/Archive", "ArchiveQueue", Severity.INFO)
    assert plain.message == "Plain warning without an id"


def test_an_l2_annotation_finds_its_resource_child(orders):
    main = orders.stacks[0]
    resources = dict(main.template.resources)
    resources["Queue"] = replace(resources["Queue"], construct_path="Prod/Orders/Queue/Resource")
    main = replace(main, template=replace(main.template, resources=resources), annotations=(TUNING,))
    [finding] = annotation_findings([main])
    assert finding.logical_id == "Queue"


# ---------------------------------------------------------- validation report


def test_report_violations_become_findings(orders):
    found = validation_report_findings(without_annotations(orders), orders.stacks)
    rules = {f.rule_id: f for f in found}
    assert set(rules) == {"CloudFormation-Validate::F3034", "CloudFormation-Validate::W9008",
                          "CloudFormation-Validate::W2501", "Annotation::ReviewPending",
                          "Annotation::orders:queue-tuning"}
    assert all(f.source is Source.CDK and not f.blocking for f in found)

    too_long = rules["CloudFormation-Validate::F3034"]
    assert too_long.severity is Severity.WARNING  # as CDK reports it: it downgrades its own errors
    assert (too_long.stack, too_long.logical_id, too_long.construct_path) == ("Prod/Orders", "Queue", "Prod/Orders/Queue")
    assert too_long.property_path == "Properties/VisibilityTimeout"
    assert too_long.message == "VisibilityTimeout: 999999 is greater than the maximum of 43200"
    assert too_long.location.file.endswith("assembly-Prod/ProdOrders525171E2.template.json")
    assert too_long.evidence["plugin"] == "CloudFormation Validate" and too_long.evidence["rule_name"] == "F3034"
    assert too_long.suppression is None

    assert rules["CloudFormation-Validate::W9008"].fix == "Set StorageEncrypted to true"

    acknowledged = rules["CloudFormation-Validate::W2501"]
    assert acknowledged.suppression is not None
    assert acknowledged.suppression.origin == "acknowledge"
    assert acknowledged.suppression.reason == "test database, password rotated at first boot"
    assert acknowledged.logical_id == "Database" and acknowledged.evidence["acknowledged_at"] == "Prod/Orders/Database"

    review = rules["Annotation::ReviewPending"]
    assert (review.stack, review.construct_path, review.logical_id) == ("Prod/Orders", "Prod/Orders", None)


def test_annotations_already_in_the_stack_metadata_are_not_reported_twice(orders):
    annotated = with_annotations(orders, REVIEW, TUNING)
    from_report = validation_report_findings(annotated, annotated.stacks)
    assert not [f for f in from_report if f.rule_id.startswith("Annotation::")]
    from_metadata = annotation_findings(annotated.stacks)
    assert {f.rule_id for f in from_metadata} == {"Annotation::ReviewPending", "Annotation::orders:queue-tuning"}


def test_only_the_requested_stacks_are_reported(orders):
    bare = without_annotations(orders)
    assert validation_report_findings(bare, []) == []
    assert validation_report_findings(bare, [s for s in bare.stacks if s.is_nested]) == []


def test_the_legacy_report_is_read_when_it_is_the_only_one(orders, data_dir, tmp_path):
    copy = tmp_path / "cdk.out"
    shutil.copytree(data_dir / "orders_assembly", copy)
    (copy / "validation-report.json").unlink()
    shutil.copy(data_dir / "policy-validation-report.json", copy)
    assembly = without_annotations(load_assembly(copy))
    assembly = replace(assembly, validation_reports=(copy / "policy-validation-report.json",))

    found = {f.rule_id: f for f in validation_report_findings(assembly, assembly.stacks)}
    assert set(found) == {"CloudFormation-Validate::F3034", "CloudFormation-Validate::W9008",
                          "Annotation::ReviewPending", "Annotation::orders:queue-tuning"}
    too_long = found["CloudFormation-Validate::F3034"]
    assert (too_long.stack, too_long.logical_id, too_long.property_path) == (
        "Prod/Orders", "Queue", "Properties/VisibilityTimeout")
    assert found["Annotation::ReviewPending"].logical_id is None  # "N/A" in the legacy file


def test_legacy_report_next_to_the_current_one_is_ignored(tmp_path):
    current, legacy = tmp_path / "validation-report.json", tmp_path / "policy-validation-report.json"
    elsewhere = tmp_path / "old" / "policy-validation-report.json"
    assert preferred_reports([current, legacy, elsewhere]) == [current, elsewhere]


def test_an_unreadable_report_is_a_finding_not_an_exception(orders, tmp_path):
    broken = tmp_path / "validation-report.json"
    broken.write_text('{"version": "55.0.0", "pluginReports": [')
    found = validation_report_findings(replace(orders, validation_reports=(broken,)), orders.stacks)
    assert [f.rule_id for f in found] == [ANALYZER_FAILED]
    assert str(broken) in found[0].message


def test_a_failed_plugin_is_reported(orders, tmp_path):
    report = tmp_path / "validation-report.json"
    report.write_text(json.dumps({"version": "55.0.0", "title": "Validation Report", "pluginReports": [{
        "pluginName": "cdk-nag", "conclusion": "failure", "violations": [],
        "metadata": {"error": "Validation plugin 'cdk-nag' failed: out of memory"}}]}))
    [finding] = validation_report_findings(replace(orders, validation_reports=(report,)), orders.stacks)
    assert finding.rule_id == "CDK-VALIDATION-PLUGIN-FAILED" and "out of memory" in finding.message


@pytest.mark.slow
def test_a_fresh_synth_writes_the_report_the_parser_was_written_against(data_dir, tmp_path):
    """Guards against aws-cdk-lib changing the report: re-synthesizes the captured fixture app."""
    pytest.importorskip("aws_cdk")
    outdir = tmp_path / "cdk.out"
    env = dict(os.environ, CDK_OUTDIR=str(outdir), CDK_CONTEXT_JSON=json.dumps({
        "aws:cdk:enable-path-metadata": True, "aws:cdk:enable-asset-metadata": True,
        "aws:cdk:version-reporting": False, "@aws-cdk/core:annotationsInValidationReport": True}))
    node = bundled_node_dir()
    if node:
        env["PATH"] = f"{node}{os.pathsep}{env['PATH']}"
    subprocess.run([sys.executable, str(data_dir / "orders_app.py")], env=env, cwd=tmp_path, check=True,
                   capture_output=True, timeout=scaled(300))

    fresh = without_annotations(load_assembly(outdir))
    assert fresh.validation_reports == (outdir / "validation-report.json",)
    captured = without_annotations(load_assembly(data_dir / "orders_assembly"))

    def summary(assembly):
        return sorted((f.rule_id, f.stack, f.logical_id, f.construct_path, f.property_path, f.severity,
                       f.suppression) for f in validation_report_findings(assembly, assembly.stacks))

    assert summary(fresh) == summary(captured)


def test_a_report_of_an_unknown_shape_is_a_finding_not_an_exception(orders, tmp_path):
    odd = tmp_path / "validation-report.json"
    odd.write_text(json.dumps({"pluginReports": [{"pluginName": "x", "violations": ["not an object"]}]}))
    [finding] = validation_report_findings(replace(orders, validation_reports=(odd,)), orders.stacks)
    assert finding.rule_id == ANALYZER_FAILED and "unreadable" in finding.message


def test_annotations_and_report_together_name_each_warning_once(orders):
    # With the stack metadata read as synthesized, each warning comes from exactly one of the two.
    assert {a.message for s in orders.stacks for a in s.annotations} == {REVIEW.message, TUNING.message}
    both = annotation_findings(orders.stacks) + validation_report_findings(orders, orders.stacks)
    ids = [f.rule_id for f in both]
    assert sorted(ids) == sorted(set(ids))
    assert "Annotation::orders:queue-tuning" in ids and "CloudFormation-Validate::F3034" in ids
