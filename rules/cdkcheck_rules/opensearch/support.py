"""Reading OpenSearch and legacy Elasticsearch domains the same way.

AWS::OpenSearchService::Domain and AWS::Elasticsearch::Domain differ in the
names of two properties (ClusterConfig / ElasticsearchClusterConfig,
EngineVersion / ElasticsearchVersion) and in the instance type suffix
(.search / .elasticsearch); the service limits are the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cdkcheck.template.intrinsics import Unknown
from cdkcheck.model import Resource

from cdkcheck_rules.toolkit import StackView

OPENSEARCH_DOMAIN = "AWS::OpenSearchService::Domain"
ELASTICSEARCH_DOMAIN = "AWS::Elasticsearch::Domain"
DOMAIN_TYPES = (OPENSEARCH_DOMAIN, ELASTICSEARCH_DOMAIN)


def cluster_key(domain: Resource) -> str:
    return "ElasticsearchClusterConfig" if domain.type == ELASTICSEARCH_DOMAIN else "ClusterConfig"


def cluster_path(domain: Resource, name: str) -> str:
    return f"{cluster_key(domain)}.{name}"


def property_path(path: str) -> str:
    return "Properties/" + path.replace(".", "/")


@dataclass(frozen=True)
class InstanceType:
    """"r6g.large.search" -> family "r6g", size "large"; the suffix is dropped."""

    raw: str
    family: str
    size: str

    @property
    def normalized(self) -> str:
        return f"{self.family}.{self.size}.search"


def instance_type(value: str | Unknown | None) -> InstanceType | Unknown | None:
    if value is None or isinstance(value, Unknown):
        return value
    parts = value.strip().lower().split(".")
    if len(parts) < 2:
        return None
    return InstanceType(value, parts[0], parts[1])


@dataclass(frozen=True)
class EngineVersion:
    engine: str  # "OpenSearch" or "Elasticsearch"
    major: int
    minor: int

    def at_least(self, engine: str, major: int, minor: int) -> bool:
        if self.engine != engine:
            return self.engine == "OpenSearch"  # every OpenSearch version is newer than Elasticsearch
        return (self.major, self.minor) >= (major, minor)

    def __str__(self) -> str:
        return f"{self.engine}_{self.major}.{self.minor}"


_VERSION = re.compile(r"^(?:(OpenSearch|Elasticsearch)_)?(\d+)\.(\d+)", re.IGNORECASE)


def engine_version(view: StackView, domain: Resource) -> EngineVersion | Unknown | None:
    """None when not written: AWS then picks a default that depends on the resource type and time."""
    key = "ElasticsearchVersion" if domain.type == ELASTICSEARCH_DOMAIN else "EngineVersion"
    text = view.text(domain, key)
    if text is None or isinstance(text, Unknown):
        return text
    match = _VERSION.match(text.strip())
    if match is None:
        return Unknown(f"{key} {text!r} is not a version this check understands")
    engine = (match.group(1) or "Elasticsearch")
    engine = "OpenSearch" if engine.lower() == "opensearch" else "Elasticsearch"
    return EngineVersion(engine, int(match.group(2)), int(match.group(3)))
