"""A stack's history read from the account: its id (deleted stacks included), events and template.

Read-only: cloudformation DescribeStacks, ListStacks, DescribeStackEvents and GetTemplate,
all on the session's allow-list. CloudFormation keeps a deleted stack's events and
template for 90 days under its stack id, which ListStacks still lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from cdkcheck.errors import CdkcheckError

EXIT_NEVER_CREATED = 6
EXIT_ACCESS_DENIED = 7
EXIT_THROTTLED = 8
EXIT_UNREACHABLE = 9
MAX_EVENT_PAGES = 200  # 100 events a page: far more than any operation's history
MAX_LIST_PAGES = 100


class StackNeverCreated(CdkcheckError):
    exit_code = EXIT_NEVER_CREATED


class HistoryAccessDenied(CdkcheckError):
    exit_code = EXIT_ACCESS_DENIED


class HistoryThrottled(CdkcheckError):
    exit_code = EXIT_THROTTLED


class HistoryUnreachable(CdkcheckError):
    exit_code = EXIT_UNREACHABLE


@dataclass(frozen=True)
class StackRef:
    name: str
    stack_id: str
    status: str
    deleted: bool


class StackHistory:
    """Reads through one cloudformation client made by cdkcheck's read-only session."""

    def __init__(self, client):
        self.client = client
        self.calls: list[str] = []

    # ------------------------------------------------------------ which stack

    def find(self, name: str) -> StackRef:
        """The stack of that name; if none exists now, the most recently deleted one (by its stack id)."""
        try:
            stacks = self._call("DescribeStacks", StackName=name).get("Stacks") or []
        except _NotFound:
            stacks = []
        if stacks:
            stack = stacks[0]
            return StackRef(name, stack["StackId"], stack.get("StackStatus", ""), deleted=False)
        deleted = [s for s in self._list_deleted() if s.get("StackName") == name]
        if not deleted:
            raise StackNeverCreated(
                f"stack '{name}' does not exist in this account and region, and none of that name was deleted in "
                "the last 90 days", hint="check the stack name, the region (AWS_REGION or the environment's region) "
                                         "and the account the credentials reach")
        newest = max(deleted, key=lambda s: s.get("DeletionTime") or s.get("CreationTime"))
        return StackRef(name, newest["StackId"], newest.get("StackStatus", "DELETE_COMPLETE"), deleted=True)

    def _list_deleted(self) -> list[dict]:
        found, token = [], None
        for _ in range(MAX_LIST_PAGES):
            page = self._call("ListStacks", StackStatusFilter=["DELETE_COMPLETE"], **({"NextToken": token}
                                                                                      if token else {}))
            found += page.get("StackSummaries") or []
            token = page.get("NextToken")
            if not token:
                break
        return found

    # ------------------------------------------------------------ events, template

    def events(self, stack_id: str, enough: Callable[[Sequence[dict]], bool] = lambda events: False) -> list[dict]:
        """Events newest first, page after page, until `enough(events so far)` or the stack's first event."""
        events: list[dict] = []
        token = None
        for _ in range(MAX_EVENT_PAGES):
            page = self._call("DescribeStackEvents", StackName=stack_id, **({"NextToken": token} if token else {}))
            events += page.get("StackEvents") or []
            token = page.get("NextToken")
            if not token or enough(events):
                break
        return events

    def template(self, stack_id: str) -> Any:
        """The template as submitted (a deleted stack's too, by its id): a dict, or YAML/JSON text."""
        return self._call("GetTemplate", StackName=stack_id, TemplateStage="Original").get("TemplateBody")

    # ------------------------------------------------------------ plumbing

    def _call(self, operation: str, **params: Any) -> dict:
        from botocore.exceptions import ClientError

        from cdkcheck.facts.live.failures import describe_failure, error_code

        method = self.client.meta.method_to_api_mapping  # api name -> python name, inverted below
        python_name = next((k for k, v in method.items() if v == operation), operation)
        self.calls.append(operation)
        try:
            return getattr(self.client, python_name)(**params)
        except ClientError as exc:
            code = error_code(exc) or ""
            message = str((exc.response.get("Error") or {}).get("Message") or "")
            if code == "ValidationError" and "does not exist" in message:
                raise _NotFound(message) from None
            failure = describe_failure(exc, f"cloudformation:{operation}")
            if failure.reason.startswith("access denied"):
                raise HistoryAccessDenied(failure.reason, hint="the role needs cloudformation:DescribeStacks, "
                                                               "ListStacks, DescribeStackEvents and GetTemplate "
                                                               "(docs/iam-policy.json)") from None
            if "throttled" in failure.reason:
                raise HistoryThrottled(failure.reason, hint="run again in a minute") from None
            if failure.fatal:
                raise HistoryUnreachable(failure.reason) from None
            raise HistoryUnreachable(failure.reason) from None
        except Exception as exc:
            failure = describe_failure(exc, f"cloudformation:{operation}")
            raise HistoryUnreachable(failure.reason,
                                     hint="read the events without the account: --events FILE from `aws "
                                          "cloudformation describe-stack-events --output json`") from None


class _NotFound(Exception):
    pass


def open_history(profile: str | None, region: str | None, *, connect_timeout: float | None = None,
                 read_timeout: float | None = None) -> StackHistory:
    """A reader on cdkcheck's read-only session; no credentials or region is a HistoryUnreachable."""
    from cdkcheck.facts.live import session as sessions
    from cdkcheck.facts.live.failures import describe_failure

    try:
        session = sessions.new_session(profile, region)
        credentials = session.get_credentials()
    except Exception as exc:
        raise HistoryUnreachable(describe_failure(exc, "reading the AWS configuration").reason) from None
    if credentials is None:
        raise HistoryUnreachable("no AWS credentials found (environment, profile, SSO or instance role)",
                                 hint="configure credentials that can read the account, or pass the events with "
                                      "--events FILE")
    region = region or session.region_name
    if not region:
        raise HistoryUnreachable("no AWS region: set AWS_REGION, or 'region' for the environment in cdkcheck.toml")
    client = session.client("cloudformation", region_name=region,
                            config=sessions.botocore_config(connect_timeout, read_timeout))
    return StackHistory(client)
