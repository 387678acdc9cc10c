"""IAM, CloudFormation registry and account-setting facts: all reads, batched.

The policy simulator is asked once per principal, resource list and context, with at most
ACTIONS_PER_SIMULATION actions a call (its answers paginated), so the number of calls
follows the number of principals and distinct actions, never the number of resources.
Roles and users come from one paginated listing each; exports from one ListExports; aliases
from one ListDistributions. ListImports answers one export a call: it is asked only for the
exports a changed stack removes.
"""

from __future__ import annotations

from typing import Any, Mapping

from cdkcheck.facts.interface import FactUnavailable, LambdaConcurrency, PermissionDecision
from cdkcheck.facts.live.failures import error_code

# Actions per SimulatePrincipalPolicy call: a bound on the request size (IAM documents no maximum).
ACTIONS_PER_SIMULATION = 100
_LISTINGS = {"role": ("list_roles", "Roles", "RoleName"), "user": ("list_users", "Users", "UserName")}


class PermissionFacts:
    """Mixed into BotoAccountFacts: uses its _answer / _all / _call plumbing."""

    def simulate_principal_policy(self: Any, principal_arn: str, actions: tuple[str, ...],
                                  resource_arns: tuple[str, ...],
                                  context: tuple[tuple[str, str], ...] = ()) -> tuple[PermissionDecision, ...]:
        wanted = tuple(sorted(set(actions)))
        resources = tuple(sorted(set(resource_arns))) or ("*",)
        entries = tuple(sorted(set(context)))
        if not wanted:
            return ()

        def compute() -> tuple[PermissionDecision, ...]:
            found: list[PermissionDecision] = []
            for start in range(0, len(wanted), ACTIONS_PER_SIMULATION):
                params: dict[str, Any] = {"PolicySourceArn": principal_arn,
                                          "ActionNames": list(wanted[start:start + ACTIONS_PER_SIMULATION]),
                                          "ResourceArns": list(resources)}
                if entries:
                    params["ContextEntries"] = [{"ContextKeyName": k, "ContextKeyValues": [v],
                                                 "ContextKeyType": "string"} for k, v in entries]
                for result in self._all("iam", "simulate_principal_policy", "EvaluationResults", **params):
                    found.append(_decision(result))
            return tuple(found)

        return self._answer("simulate_principal_policy", (principal_arn, wanted, resources, entries), compute)

    def iam_principals(self: Any, kind: str) -> Mapping[str, str]:
        if kind not in _LISTINGS:
            raise FactUnavailable(f"no way to list IAM principals of kind '{kind}'")
        operation, key, field = _LISTINGS[kind]

        def compute() -> dict[str, str]:
            return {item[field]: item["Arn"] for item in self._all("iam", operation, key) if item.get(field)}

        return dict(self._answer("iam_principals", (kind,), compute))

    def registry_type_schema(self: Any, type_name: str) -> str | None:
        def compute() -> str | None:
            try:
                found = self._call("cloudformation", "describe_type", Type="RESOURCE", TypeName=type_name)
            except FactUnavailable:
                raise
            except Exception as exc:
                if error_code(exc) in ("TypeNotFoundException", "TypeNotFound"):
                    return None
                raise FactUnavailable(getattr(exc, "cdkcheck_reason", None) or str(exc)) from None
            return found.get("Schema")

        return self._answer("registry_type_schema", (type_name,), compute)

    def cloudformation_exports(self: Any) -> Mapping[str, str]:
        def compute() -> dict[str, str]:
            return {e["Name"]: e.get("ExportingStackId", "")
                    for e in self._all("cloudformation", "list_exports", "Exports") if e.get("Name")}

        return dict(self._answer("cloudformation_exports", (), compute))

    def export_importers(self: Any, export_name: str) -> tuple[str, ...]:
        def compute() -> tuple[str, ...]:
            try:
                names = self._all_or_raise("cloudformation", "list_imports", "Imports", ExportName=export_name)
            except _NotImported:
                return ()
            return tuple(sorted(set(names)))

        return self._answer("export_importers", (export_name,), compute)

    def _all_or_raise(self: Any, service: str, operation: str, key: str, **params: Any) -> list:
        # ListImports answers an export nobody imports with a ValidationError, not an empty list.
        items: list = []
        while True:
            try:
                page = self._call(service, operation, **params)
            except FactUnavailable:
                raise
            except Exception as exc:
                message = str(getattr(exc, "response", {}).get("Error", {}).get("Message", ""))
                if error_code(exc) == "ValidationError" and "is not imported by any stack" in message:
                    raise _NotImported() from None
                raise FactUnavailable(getattr(exc, "cdkcheck_reason", None) or str(exc)) from None
            items.extend(page.get(key) or [])
            if not page.get("NextToken"):
                return items
            params = {**params, "NextToken": page["NextToken"]}

    def apigateway_cloudwatch_role(self: Any) -> str | None:
        def compute() -> str | None:
            return self._read("apigateway", "get_account").get("cloudwatchRoleArn") or None

        return self._answer("apigateway_cloudwatch_role", (), compute)

    def lambda_concurrency(self: Any) -> LambdaConcurrency:
        def compute() -> LambdaConcurrency:
            limit = self._read("lambda", "get_account_settings").get("AccountLimit") or {}
            if "ConcurrentExecutions" not in limit or "UnreservedConcurrentExecutions" not in limit:
                raise FactUnavailable("lambda:GetAccountSettings did not report the concurrency limit")
            return LambdaConcurrency(limit=int(limit["ConcurrentExecutions"]),
                                     unreserved=int(limit["UnreservedConcurrentExecutions"]))

        return self._answer("lambda_concurrency", (), compute)

    def cloudfront_aliases(self: Any) -> Mapping[str, str]:
        def compute() -> dict[str, str]:
            aliases: dict[str, str] = {}
            params: dict[str, Any] = {}
            while True:
                listing = self._read("cloudfront", "list_distributions", **params).get("DistributionList") or {}
                for item in listing.get("Items") or []:
                    for alias in (item.get("Aliases") or {}).get("Items") or []:
                        aliases[str(alias).lower()] = item.get("Id", "")
                if not listing.get("IsTruncated") or not listing.get("NextMarker"):
                    return aliases
                params = {"Marker": listing["NextMarker"]}

        return dict(self._answer("cloudfront_aliases", (), compute))


class _NotImported(Exception):
    pass


def _decision(result: Mapping[str, Any]) -> PermissionDecision:
    organizations = (result.get("OrganizationsDecisionDetail") or {}).get("AllowedByOrganizations")
    boundary = (result.get("PermissionsBoundaryDecisionDetail") or {}).get("AllowedByPermissionsBoundary")
    return PermissionDecision(
        action=result.get("EvalActionName", ""),
        resource=result.get("EvalResourceName", "*"),
        decision=result.get("EvalDecision", "implicitDeny"),
        matched=tuple(dict.fromkeys(s.get("SourcePolicyId", "") for s in result.get("MatchedStatements") or []
                                    if s.get("SourcePolicyId"))),
        missing_context=tuple(result.get("MissingContextValues") or ()),
        allowed_by_boundary=boundary,
        allowed_by_organizations=organizations,
    )
