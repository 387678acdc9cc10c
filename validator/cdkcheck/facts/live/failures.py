"""botocore's failures, told as the reason a fact is UNKNOWN.

Some failures doom every later call of the run (no route to the endpoint,
rejected credentials); those are `fatal`, so the account stops being asked
instead of timing out once per question.
"""

from __future__ import annotations

from dataclasses import dataclass

_CREDENTIAL_CODES = {
    "ExpiredToken", "ExpiredTokenException", "RequestExpired", "InvalidClientTokenId", "UnrecognizedClientException",
    "InvalidAccessKeyId", "SignatureDoesNotMatch", "AuthFailure", "InvalidToken",
}
_DENIED_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "Forbidden", "403",
                 "UnauthorizedException", "OptInRequired"}
_THROTTLED_CODES = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
                    "RequestThrottled", "SlowDown", "ThrottledException", "PriorRequestNotComplete"}


@dataclass(frozen=True)
class Failure:
    reason: str
    fatal: bool = False  # every later call would fail the same way


def describe_failure(exc: BaseException, what: str) -> Failure:
    """`what` names the call, e.g. "ec2:DescribeSubnets"."""
    from botocore import exceptions as bx

    if isinstance(exc, bx.NoCredentialsError):
        return Failure("no AWS credentials found (environment, profile, SSO or instance role)", fatal=True)
    if isinstance(exc, bx.ProfileNotFound):
        return Failure(f"AWS profile not found: {exc}", fatal=True)
    if isinstance(exc, (bx.SSOTokenLoadError, bx.UnauthorizedSSOTokenError, bx.TokenRetrievalError)):
        return Failure(f"the AWS SSO session is missing or expired ({exc}); run 'aws sso login'", fatal=True)
    if isinstance(exc, bx.CredentialRetrievalError):
        return Failure(f"AWS credentials could not be obtained: {exc}", fatal=True)
    if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ConnectionClosedError)):
        return Failure(f"cannot reach the AWS endpoint ({_short(exc)})", fatal=True)
    if isinstance(exc, bx.ReadTimeoutError):
        return Failure(f"{what}: AWS did not answer in time ({_short(exc)})")
    if isinstance(exc, bx.ClientError):
        error = exc.response.get("Error", {}) or {}
        code = str(error.get("Code", ""))
        message = _short(error.get("Message") or exc)
        if code in _CREDENTIAL_CODES:
            return Failure(f"AWS rejected the credentials ({code}: {message})", fatal=True)
        if code in _DENIED_CODES:
            return Failure(f"access denied for {what} ({code}); grant the actions in docs/iam-policy.json")
        if code in _THROTTLED_CODES:
            return Failure(f"{what} was throttled by AWS ({code}) after retries; run again later")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return Failure(f"{what} failed: {code or status}: {message}")
    from botocore.parsers import ResponseParserError

    if isinstance(exc, ResponseParserError):
        return Failure(f"{what}: the endpoint answered with something that is not an AWS response ({_short(exc, 60)})")
    if isinstance(exc, bx.BotoCoreError):
        return Failure(f"{what} failed: {_short(exc)}")
    return Failure(f"{what} failed: {type(exc).__name__}: {_short(exc)}")


def error_code(exc: BaseException) -> str | None:
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        return str((exc.response.get("Error", {}) or {}).get("Code", "")) or None
    return None


def _short(value: object, limit: int = 240) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
