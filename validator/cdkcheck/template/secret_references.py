"""Every Secrets Manager secret and SSM parameter the templates make CloudFormation or ECS resolve.

Read from the model only:
- dynamic references anywhere in a resource's properties: {{resolve:secretsmanager:ID:...}},
  {{resolve:ssm:NAME[:VERSION]}}, {{resolve:ssm-secure:NAME[:VERSION]}}, also when written with
  Fn::Join / Fn::Sub (as CDK does), resolved with the environment's account and region;
- ECS task definitions: ContainerDefinitions[].Secrets[].ValueFrom (a secret ARN, a parameter ARN, or a
  parameter name) and ContainerDefinitions[].RepositoryCredentials.CredentialsParameter (a secret);
- template parameters of type AWS::SSM::Parameter::Value<...> (CDK's valueForStringParameter), by Default.

A reference whose id comes from a resource of the checked stacks (a Ref / GetAtt to a secret or
parameter the same deploy creates, or the same literal name) is the deploy's own; one whose id is not
known before deploy is reported as such, never taken as present.
Sources: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references.html,
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Secret.html,
https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RepositoryCredentials.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence

from cdkcheck.template.intrinsics import ResolutionEnv, ResourceRef, Unknown, envs_for_stacks, resolve
from cdkcheck.model import Stack
from cdkcheck.template.secret_ids import is_aws_public_parameter, parse_arn, secret_arn_of, secret_name_part

SECRETS_MANAGER = "secretsmanager"
SSM = "ssm"

_DYNAMIC = re.compile(r"\{\{resolve:(secretsmanager|ssm-secure|ssm):(.*?)\}\}", re.DOTALL)
# Placeholder for a value only known at deploy time inside rendered text; cannot occur in a template.
_HOLE = "\x00{}\x00"
_HOLE_PATTERN = re.compile("\x00(\\d+)\x00")
# Resource types that create what a reference names, per service.
_CREATORS = {SECRETS_MANAGER: ("AWS::SecretsManager::",), SSM: ("AWS::SSM::Parameter",)}
# Attributes of other resources that are secrets the resource itself creates (RDS managed master passwords).
_SECRET_ATTRIBUTES = ("MasterUserSecret.SecretArn",)


@dataclass(frozen=True)
class SecretReference:
    stack: Stack
    logical_id: str | None  # None: a template parameter
    property_path: str
    service: str  # SECRETS_MANAGER or SSM
    via: str  # "dynamic reference", "ECS container secret", "ECS repository credentials", "SSM parameter type"
    identifier: str | None = None  # the name or ARN; None when not known before deploy
    created_by: str | None = None  # "Stack/LogicalId" of the resource of this deploy that creates it
    unknown: str | None = None  # why the identifier is not known before deploy

    @property
    def where(self) -> str:
        return f"{self.property_path} ({self.via})"


def references(stacks: Sequence[Stack], *, region: str | None = None,
               account: str | None = None) -> list[SecretReference]:
    envs = envs_for_stacks(stacks, region=region, account=account)
    created = _created_names(stacks, envs)
    found: list[SecretReference] = []
    for stack in stacks:
        env = envs[id(stack)]
        finder = _Finder(stack, env, created)
        found.extend(finder.parameters())
        for logical_id, resource in stack.template.resources.items():
            properties = resource.properties if isinstance(resource.properties, Mapping) else {}
            found.extend(finder.dynamic(logical_id, properties, "Properties"))
            if resource.type == "AWS::ECS::TaskDefinition":
                found.extend(finder.ecs(logical_id, properties))
    return found


def _created_names(stacks: Sequence[Stack], envs: Mapping[int, ResolutionEnv]) -> dict[tuple[str, str], str]:
    """(service, literal name) -> "Stack/LogicalId" for the secrets and parameters the deploy creates by name."""
    names: dict[tuple[str, str], str] = {}
    for stack in stacks:
        for resource in stack.template.of_type("AWS::SecretsManager::Secret", "AWS::SSM::Parameter"):
            service = SSM if resource.type == "AWS::SSM::Parameter" else SECRETS_MANAGER
            name = resolve(resource.properties.get("Name"), stack.template, envs[id(stack)]) \
                if isinstance(resource.properties, Mapping) else None
            if isinstance(name, str):
                names[(service, name)] = f"{stack.display_name}/{resource.logical_id}"
    return names


class _Finder:
    def __init__(self, stack: Stack, env: ResolutionEnv, created: Mapping[tuple[str, str], str]):
        self.stack = stack
        self.env = env
        self.created = created

    # ------------------------------------------------------------ places

    def dynamic(self, logical_id: str, value: Any, path: str) -> Iterator[SecretReference]:
        if isinstance(value, str):
            if "{{resolve:" in value:
                yield from self._dynamic_in_text(logical_id, path, value, [])
            return
        if isinstance(value, list):
            for index, item in enumerate(value):
                yield from self.dynamic(logical_id, item, f"{path}[{index}]")
            return
        if not isinstance(value, Mapping):
            return
        if len(value) == 1 and next(iter(value)) in ("Fn::Join", "Fn::Sub") and "{{resolve:" in _literal_text(value):
            text, holes = self._render(value)
            yield from self._dynamic_in_text(logical_id, path, text, holes)
            return
        for key, item in value.items():
            yield from self.dynamic(logical_id, item, f"{path}.{key}")

    def ecs(self, logical_id: str, properties: Mapping[str, Any]) -> Iterator[SecretReference]:
        containers = properties.get("ContainerDefinitions")
        if not isinstance(containers, list):
            return
        for i, container in enumerate(containers):
            if not isinstance(container, Mapping):
                continue
            for j, secret in enumerate(container.get("Secrets") or []):
                if isinstance(secret, Mapping) and "ValueFrom" in secret:
                    path = f"Properties.ContainerDefinitions[{i}].Secrets[{j}].ValueFrom"
                    yield self._reference(logical_id, path, "ECS container secret", secret["ValueFrom"], None)
            credentials = container.get("RepositoryCredentials")
            if isinstance(credentials, Mapping) and "CredentialsParameter" in credentials:
                path = f"Properties.ContainerDefinitions[{i}].RepositoryCredentials.CredentialsParameter"
                yield self._reference(logical_id, path, "ECS repository credentials",
                                      credentials["CredentialsParameter"], SECRETS_MANAGER)

    def parameters(self) -> Iterator[SecretReference]:
        declared = self.stack.template.body.get("Parameters") if isinstance(self.stack.template.body, Mapping) else None
        if not isinstance(declared, Mapping):
            return
        for name, declaration in declared.items():
            if not isinstance(declaration, Mapping) or not str(declaration.get("Type", "")).startswith(
                    "AWS::SSM::Parameter::Value<"):
                continue
            if name in self.env.parameter_values:
                continue  # a nested stack's parent passes the value: the parent's reference counts
            default = declaration.get("Default")
            # CDK's own bootstrap version parameter is CDKC-L8's question.
            if name == "BootstrapVersion" or not isinstance(default, str) or is_aws_public_parameter(default):
                continue
            yield self._known(None, f"Parameters.{name}.Default", "SSM parameter type", SSM, default)

    # ------------------------------------------------------------ references

    def _dynamic_in_text(self, logical_id: str, path: str, text: str, holes: list) -> Iterator[SecretReference]:
        for match in _DYNAMIC.finditer(text):
            kind, body = match.group(1), match.group(2)
            service = SECRETS_MANAGER if kind == "secretsmanager" else SSM
            if service == SECRETS_MANAGER:
                identifier = secret_arn_of(body) if body.startswith("arn:") else body.split(":", 1)[0]
            else:  # NAME[:VERSION], or an ARN (six colon-separated parts) [:VERSION]
                identifier = ":".join(body.split(":")[:6]) if body.startswith("arn:") else body.split(":", 1)[0]
            via = f"dynamic reference {{{{resolve:{kind}:...}}}}"
            yield self._from_text(logical_id, path, via, service, identifier, holes)

    def _reference(self, logical_id: str, path: str, via: str, value: Any, service: str | None) -> SecretReference:
        text, holes = self._render(value)
        if service is None:  # ECS ValueFrom: a Secrets Manager ARN, else an SSM parameter (ARN or name)
            secret_refs = [h for h in holes if isinstance(h, ResourceRef) and h.resource is not None and (
                h.resource.type.startswith(_CREATORS[SECRETS_MANAGER]) or h.attribute in _SECRET_ATTRIBUTES)]
            service = SECRETS_MANAGER if ":secretsmanager:" in text or secret_refs else SSM
        return self._from_text(logical_id, path, via, service, text, holes)

    def _from_text(self, logical_id: str | None, path: str, via: str, service: str, text: str,
                   holes: list) -> SecretReference:
        used = [holes[int(i)] for i in _HOLE_PATTERN.findall(text)]
        if used:
            creator = next((self._creator(h, service) for h in used if isinstance(h, ResourceRef)
                            and self._creator(h, service)), None)
            if creator:
                return SecretReference(self.stack, logical_id, path, service, via, created_by=creator)
            first = used[0]
            reason = first.reason if isinstance(first, Unknown) else \
                f"it depends on {first.logical_id}{'.' + first.attribute if first.attribute else ''}, " \
                "which does not create a secret or parameter"
            return SecretReference(self.stack, logical_id, path, service, via, unknown=reason)
        if service == SECRETS_MANAGER and text.startswith("arn:"):
            text = secret_arn_of(text)  # ECS appends ":json-key:version-stage:version-id" to the ARN
        return self._known(logical_id, path, via, service, text)

    def _known(self, logical_id: str | None, path: str, via: str, service: str, identifier: str) -> SecretReference:
        if service == SECRETS_MANAGER:
            name = secret_name_part(identifier)
            creator = self.created.get((service, name))
            if creator is None:  # a full ARN of a secret created under that name
                creator = next((c for (s, n), c in self.created.items()
                                if s == service and name.startswith(n + "-") and len(name) == len(n) + 7), None)
        else:
            arn = parse_arn(identifier)
            tail = arn.resource.split("/", 1)[1] if arn and "/" in arn.resource else None
            candidates = (identifier,) if tail is None else (tail, "/" + tail)
            creator = next((self.created[(service, c)] for c in candidates if (service, c) in self.created), None)
        return SecretReference(self.stack, logical_id, path, service, via, identifier=identifier, created_by=creator)

    def _creator(self, ref: ResourceRef, service: str) -> str | None:
        resource = ref.resource
        if resource is None:
            return None
        stack = self.stack.display_name if ref.template is self.stack.template else "another stack"
        if resource.type.startswith(_CREATORS[service]) or ref.attribute in _SECRET_ATTRIBUTES:
            return f"{stack}/{ref.logical_id}"
        return None

    # ------------------------------------------------------------ rendering

    def _render(self, value: Any) -> tuple[str, list]:
        """The value as text, each part known only at deploy time a numbered hole (ResourceRef or Unknown)."""
        holes: list = []
        return self._text(value, holes, 0), holes

    def _text(self, value: Any, holes: list, depth: int) -> str:
        if depth > 32:
            return self._hole(Unknown("nested too deeply"), holes)
        if isinstance(value, str):
            return value
        if isinstance(value, Mapping) and len(value) == 1:
            (key, arg), = value.items()
            if key == "Fn::Join" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
                delimiter = resolve(arg[0], self.stack.template, self.env)
                if isinstance(delimiter, str):
                    return delimiter.join(self._text(part, holes, depth + 1) for part in arg[1])
            if key == "Fn::Sub":
                return self._sub(arg, holes, depth)
        resolved = resolve(value, self.stack.template, self.env)
        if isinstance(resolved, (ResourceRef, Unknown)):
            return self._hole(resolved, holes)
        if isinstance(resolved, bool):
            return str(resolved).lower()
        if isinstance(resolved, (str, int, float)):
            return str(resolved)
        return self._hole(Unknown(f"a {type(resolved).__name__} where text is expected"), holes)

    def _sub(self, arg: Any, holes: list, depth: int) -> str:
        text, variables = (arg[0], arg[1]) if isinstance(arg, list) and len(arg) == 2 else (arg, {})
        if not isinstance(text, str) or not isinstance(variables, Mapping):
            return self._hole(Unknown("Fn::Sub needs a string template"), holes)

        def substitute(match: re.Match) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return self._text(variables[name], holes, depth + 1)
            if "." in name and name.split(".", 1)[0] in self.stack.template.resources:
                logical_id, attribute = name.split(".", 1)
                return self._hole(ResourceRef(logical_id, attribute, self.stack.template), holes)
            return self._text({"Ref": name}, holes, depth + 1)

        return re.sub(r"\$\{([^}]*)\}", substitute, text)

    @staticmethod
    def _hole(value: Any, holes: list) -> str:
        holes.append(value)
        return _HOLE.format(len(holes) - 1)


def _literal_text(value: Any, depth: int = 0) -> str:
    """Every literal string inside an expression, concatenated (to spot a dynamic reference in it)."""
    if depth > 32:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return "".join(_literal_text(v, depth + 1) for v in value.values())
    if isinstance(value, list):
        return "".join(_literal_text(v, depth + 1) for v in value)
    return ""
