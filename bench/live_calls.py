"""Count the AWS calls cdkcheck's live checks make for the courtcase app, and show the count
does not grow with the number of resources of a type.

Usage: PATH=.venv/bin:$PATH .venv/bin/python bench/live_calls.py [--copies 1,2,4,8]

Synthesizes courtcase production, starts a moto server process on loopback (the
account, seeded with a few Elastic IPs and a bootstrap version), and runs every
live rule through cdkcheck's own session, counting each operation sent (a
botocore hook on the session, as the read-only test does). Then it runs again
with every resource of the templates copied N times: the same kinds of
resources, N times as many (a copy of an explicitly named resource gets a name
of its own). Exits 1 if the count changes with N.

The account holds the CDK bootstrap roles (deploy and execution role) and the role the
credentials belong to; iam:SimulatePrincipalPolicy, which moto does not serve, is answered
"allowed" for every action on cdkcheck's own client, after the call was counted.

--with-named-fixtures adds the CDKC-L10 and CDKC-L6 fail fixtures (secret and
parameter references, explicit names of every checked kind) as two more stacks,
with their seeds, so the secret, parameter and name lookups are counted too.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "live"))

from moto_account import MotoServer, SeededAccount, answer_simulations, bootstrap_roles  # noqa: E402

from cdkcheck.app.assembly import load_assembly  # noqa: E402
from cdkcheck.config import EnvironmentConfig, RuleSetting  # noqa: E402
from cdkcheck.facts.live import open_account  # noqa: E402
from cdkcheck.facts.live import session as live_session  # noqa: E402
from cdkcheck.app.assembly import load_template  # noqa: E402
from cdkcheck.template.named_resources import name_property  # noqa: E402
from cdkcheck.model import Stack, Template  # noqa: E402
from cdkcheck.engine.rule_runner import run_rules  # noqa: E402
from cdkcheck_rules import ALL_RULES  # noqa: E402
from cdkcheck.ruleset import EnvironmentInfo, RuleContext  # noqa: E402
from cdkcheck.app.interpreter import choose_interpreter  # noqa: E402
from cdkcheck.app.synth import read_cdk_app, synthesize  # noqa: E402

ACCOUNT = "222222222222"
NAMED_FIXTURES = (("Refs", "CDKC-L10/fail.template.json"), ("Named", "CDKC-L6/fail-named.template.json"))


class _Env:
    def setenv(self, name, value):
        os.environ[name] = value

    def delenv(self, name, raising=True):
        os.environ.pop(name, None)


def courtcase_production() -> tuple[Stack, ...]:
    cache = Path(os.environ.get("CDKCHECK_CACHE_DIR") or Path.home() / ".cache" / "cdkcheck")
    # The interpreter the CLI would pick: `python3 app.py` may not be the venv's python3 here.
    app, _ = choose_interpreter(read_cdk_app(REPO / "fixtures" / "apps" / "courtcase"), cache_dir=cache)
    outcome = synthesize(app, extra_context={"env": "production"}, extra_env={}, cache_root=cache, timeout=300)
    if outcome.assembly_dir is None:
        raise SystemExit(f"courtcase did not synthesize: {outcome.failure}")
    return load_assembly(outcome.assembly_dir).stacks


def with_copies(stacks: tuple[Stack, ...], copies: int) -> tuple[Stack, ...]:
    """Every resource `copies` times (Copy1..CopyN-1 beside the original): more of each kind, no new kinds."""
    if copies == 1:
        return stacks
    result = []
    for stack in stacks:
        resources = dict(stack.template.resources)
        body = dict(stack.template.body)
        body_resources = dict(body.get("Resources", {}))
        for logical_id, resource in stack.template.resources.items():
            for n in range(1, copies):
                copy_id = f"{logical_id}Copy{n}"
                properties = resource.properties
                prop = name_property(resource.type)
                if isinstance(properties, dict) and isinstance(properties.get(prop), str):
                    properties = {**properties, prop: f"{properties[prop]}-copy{n}"}  # names are unique
                resources[copy_id] = replace(resource, logical_id=copy_id, properties=properties,
                                             construct_path=f"{resource.construct_path or logical_id}Copy{n}")
                body_resources[copy_id] = {**body_resources[logical_id], "Properties": properties} \
                    if isinstance(body_resources[logical_id], dict) else body_resources[logical_id]
        body["Resources"] = body_resources
        template = Template(path=stack.template.path, body=body, resources=resources, sha256="copies")
        result.append(replace(stack, template=template))
    return tuple(result)


def count_calls(stacks: tuple[Stack, ...]) -> tuple[Counter, float, int]:
    sent: Counter = Counter()
    original = live_session.new_session

    def counting_session(profile, region):
        session = original(profile, region)
        session.events.register_first(
            "before-call", lambda model=None, **_: sent.update([f"{model.service_model.service_name}:{model.name}"]),
            unique_id="bench-count")
        return session

    live_session.new_session = counting_session
    try:
        started = time.monotonic()
        facts = open_account(EnvironmentConfig(name="production"), "us-east-1", use_rerun_cache=False)
        answer_simulations(facts)  # every action allowed, as the default bootstrap's AdministratorAccess
        rules = [r for r in ALL_RULES if r.meta.needs_live]
        context = RuleContext(environment=EnvironmentInfo(name="production", account=ACCOUNT, region="us-east-1"),
                              stacks=stacks, facts=facts)
        findings, _ = run_rules(rules, context, {r.meta.id: RuleSetting() for r in rules}, live_required=True)
        return sent, time.monotonic() - started, len(findings)
    finally:
        live_session.new_session = original


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", default="1,2,4,8", help="comma-separated resource multipliers")
    parser.add_argument("--with-named-fixtures", action="store_true",
                        help="add the CDKC-L10 / CDKC-L6 fail fixtures as stacks (secrets, parameters, names)")
    args = parser.parse_args()
    multipliers = [int(x) for x in args.copies.split(",")]
    os.environ.update(AWS_MAX_ATTEMPTS="1", AWS_CONFIG_FILE=os.devnull,
                      AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_EC2_METADATA_DISABLED="true")
    stacks = courtcase_production()
    if args.with_named_fixtures:
        stacks = stacks + tuple(
            Stack(artifact_id=name, stack_name=name, display_name=name, account=ACCOUNT, region="us-east-1",
                  template=load_template(REPO / "fixtures" / "rules" / path))
            for name, path in NAMED_FIXTURES)
    server = MotoServer()
    try:
        account = SeededAccount(server, _Env(), ACCOUNT)
        account.seed({"moto": [
            {"service": "ec2", "call": "allocate_address", "params": {"Domain": "vpc"}, "repeat": 3},
            {"service": "ssm", "call": "put_parameter",
             "params": {"Name": "/cdk-bootstrap/hnb659fds/version", "Value": "21", "Type": "String"}},
            *bootstrap_roles(ACCOUNT)]})
        if args.with_named_fixtures:
            import json

            for _, path in NAMED_FIXTURES:
                seed = REPO / "fixtures" / "rules" / path.replace(".template.json", ".seed.json")
                account.seed(json.loads(seed.read_text().replace("123456789012", ACCOUNT)))
        rows = []
        for n in multipliers:
            variant = with_copies(stacks, n)
            resources = sum(len(s.template.resources) for s in variant)
            sent, seconds, findings = count_calls(variant)
            rows.append((n, resources, sum(sent.values()), len(sent), seconds, findings, sent))
    finally:
        server.stop()
    print(f"{'copies':>6} {'resources':>9} {'AWS calls':>9} {'operations':>10} {'seconds':>8} {'findings':>8}")
    for n, resources, total, distinct, seconds, findings, _ in rows:
        print(f"{n:>6} {resources:>9} {total:>9} {distinct:>10} {seconds:>8.2f} {findings:>8}")
    print("\ncalls by operation (courtcase production, copies=1):")
    for operation, count in sorted(rows[0][6].items()):
        print(f"  {count:>3}  {operation}")
    totals = {row[2] for row in rows}
    if len(totals) != 1:
        print(f"\nFAIL: the number of calls changes with the number of resources: {sorted(totals)}")
        return 1
    print(f"\nOK: {rows[0][2]} calls whatever the number of resources of each type")
    return 0


if __name__ == "__main__":
    sys.exit(main())
