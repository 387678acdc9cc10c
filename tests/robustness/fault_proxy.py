"""A small HTTP proxy in front of the moto server that injects faults on cue.

Point AWS_ENDPOINT_URL at `FaultProxy.url`: every AWS call cdkcheck makes then
passes through here. A script of `Fault`s says which requests (by service signing
name and operation) get which treatment, after how many have passed untouched and
for how many times:

    throttle  an AWS throttling error in the service's own wire format
    error     a 5xx with an HTML body, as a load balancer in the way would send
    slow      the answer only after `delay` seconds (longer than the client's read timeout)
    hang      no answer at all until the proxy closes: a read timeout must fire, whatever the machine's load
    reset     the TCP connection reset without a response
    expired   ExpiredToken, as when session credentials run out mid-run

Everything else is forwarded unchanged. `log` records (service, operation, what was done).
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from timeouts import scaled

ACTIONS = ("throttle", "error", "slow", "hang", "reset", "expired")
_SIGNING_SERVICE = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection", "te",
               "trailer", "upgrade"}


@dataclass
class Fault:
    action: str
    service: str | None = None  # signing name: "ec2", "sts", "rds", "servicequotas", "es", "ssm", ...
    operation: str | None = None
    after: int = 0  # let this many matching requests through first
    times: int | None = None  # how many requests get the fault; None: all that follow
    delay: float = 0.0  # for "slow"

    def __post_init__(self):
        if self.action not in ACTIONS:
            raise ValueError(f"unknown fault action {self.action!r}")
        self._seen = 0
        self._applied = 0

    def claim(self, service: str, operation: str) -> bool:
        """Whether this request gets the fault (counts it either way when it matches)."""
        if (self.service and self.service != service) or (self.operation and self.operation != operation):
            return False
        self._seen += 1
        if self._seen <= self.after or (self.times is not None and self._applied >= self.times):
            return False
        self._applied += 1
        return True


class FaultProxy:
    def __init__(self, upstream: str):
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port)
        self.script: list[Fault] = []
        self.log: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()
        self.closed = threading.Event()  # "hang" requests wait for it
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def run(self, *faults: Fault) -> "FaultProxy":
        with self._lock:
            self.script = list(faults)
            self.log = []
        return self

    def decide(self, service: str, operation: str) -> Fault | None:
        with self._lock:
            chosen = next((fault for fault in self.script if fault.claim(service, operation)), None)
            self.log.append((service, operation, chosen.action if chosen else "pass"))
            return chosen

    def operations(self, action: str | None = None) -> list[str]:
        return [f"{s}:{o}" for s, o, a in self.log if action is None or a == action]

    def close(self) -> None:
        self.closed.set()
        self._server.shutdown()
        self._server.server_close()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True  # a "slow" answer still sleeping must not hold up close()

    def handle_error(self, request, client_address):
        pass  # the client gave up (timeout, retry) or the test ended: expected under faults


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects
    owner: FaultProxy

    def log_message(self, format, *args):  # quiet: the test reads FaultProxy.log instead
        pass

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_GET

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        service = _service(self.headers)
        operation = _operation(self.headers, body, self.path, self.command)
        fault = self.owner.decide(service, operation)
        if fault is None:
            if operation == "SimulatePrincipalPolicy":
                return self._allow_simulation(body)
            return self._forward(body)
        if fault.action == "reset":
            # SO_LINGER 0: close() sends RST, the client sees "connection reset by peer".
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if fault.action == "hang":
            self.owner.closed.wait()
            self.close_connection = True
            return
        if fault.action == "slow":
            time.sleep(fault.delay)
            return self._forward(body)
        if fault.action == "error":
            page = b"<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
            return self._reply(503, page, {"Content-Type": "text/html"})
        code, message = {
            "throttle": ({"ec2": "RequestLimitExceeded"}.get(service, "ThrottlingException"
                                                             if _is_json(self.headers) else "Throttling"),
                         "Rate exceeded"),
            "expired": ("ExpiredToken", "The security token included in the request is expired"),
        }[fault.action]
        status = 503 if (fault.action == "throttle" and service == "ec2") else 400
        self._aws_error(service, status, code, message)

    def _forward(self, body: bytes) -> None:
        connection = http.client.HTTPConnection(*self.owner.upstream, timeout=scaled(120))
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            kept = {k: v for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP}
            self._reply(response.status, payload, kept)
        finally:
            connection.close()

    def _allow_simulation(self, body: bytes) -> None:
        """moto has no policy simulator: answer as an administrator's policies would (every action allowed)."""
        form = parse_qs(body.decode("utf-8", "replace"))
        actions = [v[0] for k, v in sorted(form.items()) if k.startswith("ActionNames.member.")]
        members = "".join(f"<member><EvalActionName>{a}</EvalActionName><EvalResourceName>*</EvalResourceName>"
                          "<EvalDecision>allowed</EvalDecision><MatchedStatements/><MissingContextValues/>"
                          "</member>" for a in actions)
        page = (f'<SimulatePrincipalPolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
                f"<SimulatePrincipalPolicyResult><IsTruncated>false</IsTruncated><EvaluationResults>{members}"
                "</EvaluationResults></SimulatePrincipalPolicyResult><ResponseMetadata><RequestId>fault-proxy"
                "</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>").encode()
        self._reply(200, page, {"Content-Type": "text/xml"})

    def _aws_error(self, service: str, status: int, code: str, message: str) -> None:
        if _is_json(self.headers) or service in ("es", "opensearch"):
            body = json.dumps({"__type": code, "message": message}).encode()
            return self._reply(status, body, {"Content-Type": "application/x-amz-json-1.1",
                                              "x-amzn-ErrorType": code})
        if service == "ec2":
            body = (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
                    "<RequestID>fault-proxy</RequestID></Response>").encode()
        else:
            body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
                    "</Error><RequestId>fault-proxy</RequestId></ErrorResponse>").encode()
        self._reply(status, body, {"Content-Type": "text/xml"})

    def _reply(self, status: int, body: bytes, headers: dict) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _service(headers) -> str:
    found = _SIGNING_SERVICE.search(headers.get("Authorization", ""))
    return found.group(1) if found else "unknown"


def _is_json(headers) -> bool:
    return bool(headers.get("X-Amz-Target"))


def _operation(headers, body: bytes, path: str, method: str) -> str:
    target = headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1]
    if body.startswith(b"Action=") or b"&Action=" in body:
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return action[0]
    return f"{method} {urlsplit(path).path}"
