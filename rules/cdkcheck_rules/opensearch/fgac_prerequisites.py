"""CDKC-O7: fine-grained access control without the settings it requires."""

from __future__ import annotations

from typing import Iterator

from cdkcheck.template.intrinsics import Unknown
from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta

from cdkcheck_rules.opensearch.support import DOMAIN_TYPES, engine_version, property_path
from cdkcheck_rules.toolkit import Resolution, undetermined, violation_or_undetermined

# (property, what it must be, the service's wording)
PREREQUISITES = (
    ("DomainEndpointOptions.EnforceHTTPS", "EnforceHTTPS", "HTTPS enforced on the domain endpoint"),
    ("NodeToNodeEncryptionOptions.Enabled", "node-to-node encryption", "node-to-node encryption"),
    ("EncryptionAtRestOptions.Enabled", "encryption at rest", "encryption of data at rest"),
)

META = RuleMeta(
    id="CDKC-O7",
    name="opensearch-fgac-prerequisites",
    summary="Fine-grained access control enabled without HTTPS enforcement, node-to-node encryption, encryption "
            "at rest, or on Elasticsearch older than 6.7.",
    severity=Severity.ERROR,
    resource_types=DOMAIN_TYPES,
    rationale=(
        "Fine-grained access control (AdvancedSecurityOptions.Enabled) requires EnforceHTTPS, node-to-node "
        "encryption, encryption at rest and OpenSearch or Elasticsearch 6.7+; otherwise the create fails "
        "(\"You must enable EnforceHTTPS in the domain endpoint options to use advanced security.\"). CDK's "
        "Domain throws on these at synth, but CfnDomain, escape hatches and values from parameters or "
        "conditions are not checked there; cfn-lint does not relate these properties."
    ),
    docs_url="https://docs.aws.amazon.com/opensearch-service/latest/developerguide/fgac.html",
    fix="Set DomainEndpointOptions.EnforceHTTPS, NodeToNodeEncryptionOptions.Enabled and "
        "EncryptionAtRestOptions.Enabled to true (CDK: enforceHttps, nodeToNodeEncryption, encryptionAtRest).",
    example="CfnDomain(advanced_security_options={enabled: True}, node_to_node_encryption_options=None).",
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    for view, domain in resolution.resources(*DOMAIN_TYPES):
        enabled = view.flag(domain, "AdvancedSecurityOptions.Enabled", default=False)
        if isinstance(enabled, Unknown):
            yield undetermined(view, domain, "AdvancedSecurityOptions.Enabled", enabled)
            continue
        if not enabled:
            continue
        for path, short, wording in PREREQUISITES:
            value = view.flag(domain, path, default=False)
            if isinstance(value, Unknown):
                yield undetermined(view, domain, path, value)
            elif not value:
                yield violation_or_undetermined(
                    view, domain, f"fine-grained access control requires {wording}, but {path} is not true: "
                                  f"the create fails",
                    evidence={"advanced_security": True, path: view.prop(domain, path)},
                    property_path=property_path(path))
        version = engine_version(view, domain)
        if isinstance(version, Unknown):
            yield undetermined(view, domain, "engine version", version)
        elif version is not None and not version.at_least("Elasticsearch", 6, 7):
            yield violation_or_undetermined(
                view, domain, f"fine-grained access control requires OpenSearch or Elasticsearch 6.7+, the domain "
                              f"runs {version}",
                evidence={"engine_version": str(version), "minimum": "Elasticsearch_6.7"},
                property_path="Properties/ElasticsearchVersion" if "Elasticsearch" in domain.type
                else "Properties/EngineVersion")


RULE = Rule(meta=META, evaluate=evaluate)
