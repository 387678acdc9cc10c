"""The IAM actions CloudFormation needs to create, update or delete a resource type.

They come from the type's registry schema (`handlers.<create|update|delete>.permissions`),
as cfn-lint ships the schemas; a type cfn-lint does not know (a third-party or private
registry type) is asked of the account instead (cloudformation:DescribeType, the same
schema). Which of a handler's actions a deploy cannot do without is not in the schema:
it lists everything any property combination may need (a restore from snapshot, a read
replica). The *primary* actions are those that carry the type's own name
(rds:CreateDBInstance for AWS::RDS::DBInstance, ecs:RegisterTaskDefinition, lambda:AddPermission):
without them the handler cannot start. The others are needed depending on the properties.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

from cdkcheck.template.resource_schemas import type_schema_document

HANDLERS = ("create", "update", "delete")
# Verbs that start the primary action of a handler, by handler.
_PRIMARY_VERBS = {
    "create": ("Create", "Register", "Run", "Put", "Add", "Authorize", "Allocate", "Associate", "Attach", "Import",
               "Publish", "Start", "Enable", "Request", "Issue"),
    "update": ("Update", "Modify", "Put", "Change", "Replace", "Set"),
    "delete": ("Delete", "Deregister", "Terminate", "Remove", "Revoke", "Release", "Disassociate", "Detach",
               "Disable", "Unregister"),
}
# Types CloudFormation handles itself, with no service call to authorize.
NO_SERVICE_CALL = frozenset({"AWS::CDK::Metadata", "AWS::CloudFormation::WaitConditionHandle",
                             "AWS::CloudFormation::WaitCondition"})


@dataclass(frozen=True)
class HandlerPermissions:
    type_name: str
    handler: str
    actions: tuple[str, ...]  # as the schema lists them, deduplicated
    primary: tuple[str, ...]  # the subset without which the handler cannot start (may be empty)
    source: str  # "cfn-lint registry schema" / "cloudformation:DescribeType"

    @property
    def namespaces(self) -> frozenset[str]:
        return frozenset(a.split(":", 1)[0] for a in self.actions)


def from_schema_document(type_name: str, handler: str, document: Mapping[str, Any] | None,
                         source: str) -> HandlerPermissions | None:
    """None when the schema lists no permissions for that handler (a type CloudFormation runs itself)."""
    if not isinstance(document, Mapping):
        return None
    handlers = document.get("handlers")
    entry = handlers.get(handler) if isinstance(handlers, Mapping) else None
    permissions = entry.get("permissions") if isinstance(entry, Mapping) else None
    if not isinstance(permissions, list):
        return None
    actions = tuple(dict.fromkeys(a for a in permissions if isinstance(a, str) and ":" in a))
    return HandlerPermissions(type_name, handler, actions, primary_actions(type_name, handler, actions), source)


@lru_cache(maxsize=None)
def schema_permissions(type_name: str, handler: str) -> HandlerPermissions | None:
    """From cfn-lint's copy of the registry schema; None when cfn-lint has no schema or no handler for it."""
    return from_schema_document(type_name, handler, type_schema_document(type_name), "registry schema (cfn-lint)")


def known_to_cfn_lint(type_name: str) -> bool:
    return type_schema_document(type_name) is not None


def primary_actions(type_name: str, handler: str, actions: tuple[str, ...]) -> tuple[str, ...]:
    """Actions named verb + the type's own name (singular or plural), in the type's namespaces."""
    noun = type_name.rsplit("::", 1)[-1].lower()
    nouns = {noun, noun + "s", noun + "es", noun.removesuffix("y") + "ies"}
    verbs = _PRIMARY_VERBS.get(handler, ())
    found = []
    for action in actions:
        name = action.split(":", 1)[1]
        for verb in verbs:
            if name.startswith(verb) and name[len(verb):].lower() in nouns:
                found.append(action)
                break
    return tuple(found)


def schema_json_permissions(type_name: str, handler: str, schema_text: str | None) -> HandlerPermissions | None:
    """From the Schema text cloudformation:DescribeType returns."""
    if not schema_text:
        return None
    try:
        document = json.loads(schema_text)
    except ValueError:
        return None
    return from_schema_document(type_name, handler, document, "registry schema (cloudformation:DescribeType)")


_ROLE_PROPERTY = re.compile(r"(^|[a-z])Role(Arn)?$")


def passes_role(properties: Any) -> bool:
    """Whether the resource hands CloudFormation a role to pass to the service (a *Role / *RoleArn property)."""
    if not isinstance(properties, Mapping):
        return False
    return any(isinstance(k, str) and _ROLE_PROPERTY.search(k) and v not in (None, "", [])
               for k, v in properties.items())
