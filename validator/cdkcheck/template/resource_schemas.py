"""CloudFormation registry schemas, as cfn-lint ships them.

Which properties force a replacement (`createOnlyProperties`), which identify a
resource (`primaryIdentifier`) and which only CloudFormation sets
(`readOnlyProperties`) are read from these schemas, never from hand-written tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SCHEMA_REGION = "us-east-1"  # the region cfn-lint's provider schemas cover most completely


@dataclass(frozen=True)
class TypeSchema:
    type_name: str
    primary_identifier: tuple[str, ...]  # top-level property names, e.g. ("TableName",)
    create_only: tuple[str, ...]         # property paths below /properties, e.g. "KeySchema", "Tags/*/Key"
    read_only: tuple[str, ...]
    deprecated: tuple[str, ...]
    # Properties whose change may or may not replace the resource, depending on the change.
    conditional_create_only: tuple[str, ...] = ()

    @property
    def create_only_top_level(self) -> frozenset[str]:
        return frozenset(path.split("/", 1)[0] for path in self.create_only)

    def named_by(self) -> str | None:
        """The property a template sets to name the resource, when that name is its identity.

        That is a single-property primary identifier that the template may set (not read-only)
        and that cannot change without replacement (create-only), e.g. TableName, DashboardName.
        """
        if len(self.primary_identifier) != 1:
            return None
        name = self.primary_identifier[0]
        if "/" in name or name in self.read_only or name not in self.create_only:
            return None
        return name


def _strip(pointer: str) -> str:
    prefix = "/properties/"
    return pointer[len(prefix):] if pointer.startswith(prefix) else pointer


@lru_cache(maxsize=None)
def type_schema(type_name: str) -> TypeSchema | None:
    """The registry schema of a resource type, or None for custom and unknown types."""
    if not type_name.startswith(("AWS::", "Alexa::")):
        return None
    raw = _schema_file(type_name)
    if raw is None:
        from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
        from cfnlint.schema import ResourceNotFoundError

        try:
            raw = PROVIDER_SCHEMA_MANAGER.get_resource_schema(SCHEMA_REGION, type_name).schema
        except ResourceNotFoundError:
            return None
    return TypeSchema(
        type_name=type_name,
        primary_identifier=tuple(_strip(p) for p in raw.get("primaryIdentifier", ())),
        create_only=tuple(_strip(p) for p in raw.get("createOnlyProperties", ())),
        read_only=tuple(_strip(p) for p in raw.get("readOnlyProperties", ())),
        deprecated=tuple(_strip(p) for p in raw.get("deprecatedProperties", ())),
        conditional_create_only=tuple(_strip(p) for p in raw.get("conditionalCreateOnlyProperties", ())),
    )


@lru_cache(maxsize=None)
def type_schema_document(type_name: str) -> dict | None:
    """The whole registry schema of a type as cfn-lint ships it (handlers included); None when it has none."""
    if not type_name.startswith(("AWS::", "Alexa::")):
        return None
    raw = _schema_file(type_name)
    if raw is None:
        from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
        from cfnlint.schema import ResourceNotFoundError

        try:
            raw = PROVIDER_SCHEMA_MANAGER.get_resource_schema(SCHEMA_REGION, type_name).schema
        except ResourceNotFoundError:
            return None
    return raw


def cfn_lint_data_dir() -> Path | None:
    """cfn-lint's data directory, found without importing cfn-lint (its import takes a second or more)."""
    import importlib.util

    spec = importlib.util.find_spec("cfnlint")
    locations = list(spec.submodule_search_locations or ()) if spec else []
    data = Path(locations[0]) / "data" if locations else None
    return data if data is not None and data.is_dir() else None


@lru_cache(maxsize=1)
def _provider_index() -> dict[str, str] | None:
    data = cfn_lint_data_dir()
    try:
        return json.loads((data / "schemas" / "providers" / f"{SCHEMA_REGION}.json").read_text(encoding="utf-8")) \
            if data else None
    except (OSError, ValueError):
        return None


def _schema_file(type_name: str) -> dict | None:
    """The schema as cfn-lint ships it (the files its schema manager reads); None to ask the manager."""
    index = _provider_index()
    schema_hash = index.get(type_name) if index else None
    data = cfn_lint_data_dir()
    if not schema_hash or data is None:
        return None
    try:
        return json.loads((data / "schemas" / "resources" / f"{schema_hash}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def all_type_names() -> tuple[str, ...]:
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    return tuple(sorted(PROVIDER_SCHEMA_MANAGER.get_resource_types(SCHEMA_REGION)))
