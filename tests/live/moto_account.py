"""A moto server process on loopback standing in for an AWS account, and seeding helpers.

Seeds are plain JSON (fixtures/rules/CDKC-L*/*.seed.json):
    {"account": "222222222222",                  # optional: whose account the credentials reach
     "credentials_expire_in_minutes": 20,        # optional: session credentials with a known expiry
     "moto": [{"service": "ec2", "call": "allocate_address", "params": {"Domain": "vpc"},
               "repeat": 3, "save": {"vpc": "Vpc.VpcId"}}],
     "stubs": [{"service": "rds", "call": "describe_db_engine_versions",
                "params": {...} or omitted (any), "response": {...}} |
               {"service": ..., "call": ..., "error": {"code": "...", "message": "...", "status": 400}}]}
"${name}" in params (and in the templates) is replaced by a value saved by an earlier moto call;
{"$json": {...}} in params is sent as JSON text (a stack's TemplateBody), {"$zip": {...}} as a zip archive.
Stubs answer only the calls moto does not serve (tests/live/README.md lists them).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Mapping

import boto3
from botocore.config import Config
from botocore.stub import Stubber

# tests/timeouts.py, also for the scripts outside the suite that use this server (bench, fixture recorders).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from timeouts import scaled  # noqa: E402

REGION = "us-east-1"
_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
# Seeding talks to the same server with its own client; a 500 is a seed bug, not worth retrying.
SEED_CONFIG = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=scaled(10),
                     read_timeout=scaled(60))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MotoServer:
    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        moto_server = Path(sys.executable).parent / "moto_server"
        self.process = subprocess.Popen([str(moto_server), "-H", "127.0.0.1", "-p", str(self.port)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        env={**os.environ, "MOTO_CALL_RESET_API": "true"})
        deadline = time.monotonic() + scaled(120)
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"moto_server exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/data.json", timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"moto_server did not start within {scaled(120):g} s")

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=scaled(60)):
            pass

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


class SeededAccount:
    """Credentials for one account of the moto server, and the means to fill it."""

    def __init__(self, server: MotoServer, monkeypatch, account: str = "123456789012"):
        self.server = server
        self.account = account
        self.saved: dict[str, Any] = {}
        base = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
        # moto binds the keys of an assumed role to the role's account: the way to reach a chosen account id.
        credentials = base.client("sts", endpoint_url=server.url, config=SEED_CONFIG).assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/seed", RoleSessionName="seed")["Credentials"]
        self.credentials = credentials
        for name, value in (("AWS_ACCESS_KEY_ID", credentials["AccessKeyId"]),
                            ("AWS_SECRET_ACCESS_KEY", credentials["SecretAccessKey"]),
                            ("AWS_SESSION_TOKEN", credentials["SessionToken"]),
                            ("AWS_ENDPOINT_URL", server.url), ("AWS_DEFAULT_REGION", REGION)):
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("AWS_CREDENTIAL_EXPIRATION", raising=False)
        self._monkeypatch = monkeypatch
        self.session = boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                                     aws_secret_access_key=credentials["SecretAccessKey"],
                                     aws_session_token=credentials["SessionToken"], region_name=REGION)

    def client(self, service: str):
        return self.session.client(service, endpoint_url=self.server.url, config=SEED_CONFIG)

    def expire_credentials_in(self, minutes: float) -> None:
        expiry = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + minutes * 60))
        self._monkeypatch.setenv("AWS_CREDENTIAL_EXPIRATION", expiry)

    def seed(self, seed: Mapping[str, Any]) -> None:
        if seed.get("credentials_expire_in_minutes") is not None:
            self.expire_credentials_in(float(seed["credentials_expire_in_minutes"]))
        for step in seed.get("moto", []):
            client = self.client(step["service"])
            for _ in range(int(step.get("repeat", 1))):
                result = getattr(client, step["call"])(**self.substitute(step.get("params", {})))
                for name, path in (step.get("save") or {}).items():
                    self.saved[name] = _dig(result, path)

    def substitute(self, value: Any) -> Any:
        text = json.dumps(value)
        for name in set(_VARIABLE.findall(text)):
            if name not in self.saved:
                raise KeyError(f"seed variable ${{{name}}} was never saved")
        return _materialize(json.loads(_VARIABLE.sub(lambda m: str(self.saved[m.group(1)]), text)))


def _materialize(value: Any) -> Any:
    """{"$zip": {name: text}} becomes the bytes of a zip archive (Lambda code in a seed);
    {"$json": value} becomes its JSON text (a TemplateBody in a seed)."""
    if isinstance(value, dict):
        if set(value) == {"$json"}:
            return json.dumps(value["$json"])
        if set(value) == {"$zip"}:
            import io
            import zipfile

            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as archive:
                for name, text in value["$zip"].items():
                    archive.writestr(name, text)
            return buffer.getvalue()
        return {k: _materialize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_materialize(v) for v in value]
    return value


def _dig(value: Any, path: str) -> Any:
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


class PartialStubber(Stubber):
    """botocore's Stubber for the few operations moto does not serve; every other call goes to moto.

    Responses are validated against the service model (Stubber's own check) and
    chosen by operation and, when given, the exact parameters; they are not used
    up, so concurrent or repeated questions get the same answer.
    """

    def __init__(self, client):
        super().__init__(client)
        self._stubbed: dict[str, list[tuple[Any, Mapping[str, Any] | None]]] = {}

    def stub(self, method: str, response: Mapping[str, Any], params: Mapping[str, Any] | None = None) -> None:
        operation = self.client.meta.method_to_api_mapping[method]
        self._validate_operation_response(operation, dict(response))
        from botocore.awsrequest import AWSResponse

        self._stubbed.setdefault(operation, []).append(((AWSResponse(None, 200, {}, None), dict(response)), params))

    def stub_error(self, method: str, code: str, message: str = "", status: int = 400,
                   params: Mapping[str, Any] | None = None) -> None:
        from botocore.awsrequest import AWSResponse

        operation = self.client.meta.method_to_api_mapping[method]
        parsed = {"ResponseMetadata": {"HTTPStatusCode": status}, "Error": {"Code": code, "Message": message}}
        self._stubbed.setdefault(operation, []).append(((AWSResponse(None, status, {}, None), parsed), params))

    def activate(self):
        events = self.client.meta.events
        events.register("before-parameter-build.*.*", self._keep_params, unique_id=self._expected_params_event_id)
        events.register("before-call.*.*", self._get_response_handler, unique_id=self._event_id)

    def deactivate(self):
        events = self.client.meta.events
        events.unregister("before-parameter-build.*.*", self._keep_params, unique_id=self._expected_params_event_id)
        events.unregister("before-call.*.*", self._get_response_handler, unique_id=self._event_id)

    @staticmethod
    def _keep_params(params, context, **kwargs):
        context["stub_api_params"] = dict(params)  # before-call only sees the serialized request

    def _get_response_handler(self, model, params, context, **kwargs):
        api_params = context.get("stub_api_params", {})
        for response, expected in self._stubbed.get(model.name, ()):
            if expected is None or all(api_params.get(k) == v for k, v in expected.items()):
                return response
        return None  # not stubbed (or other parameters): the moto server answers


def apply_stubs(facts, stubs: list[Mapping[str, Any]]) -> list[PartialStubber]:
    """Attach the seed's stubs to the clients of a BotoAccountFacts (the clients cdkcheck itself uses)."""
    stubbers: dict[str, PartialStubber] = {}
    for entry in stubs:
        service = entry["service"]
        if service not in stubbers:
            stubbers[service] = PartialStubber(facts.client(service))
            stubbers[service].activate()
        if "error" in entry:
            error = entry["error"]
            stubbers[service].stub_error(entry["call"], error["code"], error.get("message", ""),
                                         int(error.get("status", 400)), entry.get("params"))
        else:
            stubbers[service].stub(entry["call"], entry["response"], entry.get("params"))
    return list(stubbers.values())


def answer_simulations(facts, decide=lambda principal, action, resource: "allowed") -> None:
    """Answer iam:SimulatePrincipalPolicy (moto lacks it) on a BotoAccountFacts' IAM client.

    `decide(principal ARN, action, resource)` gives each EvalDecision. Registered on the generic
    events, after any hook registered first (a call counter still sees the call); the answer is
    validated against IAM's service model like a Stubber response.
    """
    from botocore.awsrequest import AWSResponse

    client = facts.client("iam")
    validator = Stubber(client)

    def keep(params, context, model=None, **_):
        if model is not None and model.name == "SimulatePrincipalPolicy":
            context["simulate_params"] = dict(params)

    def answer(context, model=None, **_):
        if model is None or model.name != "SimulatePrincipalPolicy":
            return None
        params = context["simulate_params"]
        results = [{"EvalActionName": a, "EvalResourceName": r,
                    "EvalDecision": decide(params["PolicySourceArn"], a, r)}
                   for a in params["ActionNames"] for r in params.get("ResourceArns") or ["*"]]
        response = {"EvaluationResults": results, "IsTruncated": False}
        validator._validate_operation_response("SimulatePrincipalPolicy", response)
        return AWSResponse(None, 200, {}, None), response

    client.meta.events.register("before-parameter-build", keep, unique_id="moto-account-simulate-params")
    client.meta.events.register("before-call", answer, unique_id="moto-account-simulate")


def bootstrap_roles(account: str, region: str = REGION, caller: str = "seed") -> list[dict]:
    """Seed steps for the CDK bootstrap's deploy and execution roles and the role the credentials belong to."""
    return [{"service": "iam", "call": "create_role", "params": {"RoleName": name, "AssumeRolePolicyDocument": "{}"}}
            for name in (caller, f"cdk-hnb659fds-deploy-role-{account}-{region}",
                         f"cdk-hnb659fds-cfn-exec-role-{account}-{region}")]
