"""What the update comparison (deployed template against synthesized, CDKC-U*) adds to a warm run.

Usage: PATH=.venv/bin:$PATH .venv/bin/python bench/update_compare.py [--rounds 7] [--stacks 20] [--resources 200]

Writes the generated app (bench/large_app.py), synthesizes it, starts a moto server
process on loopback and creates every stack there from that synth (the deployed
state). Then one queue changes (the one-line edit of large_app.change_one_line), the
app is synthesized again, and `cdkcheck bench --assembly DIR` runs against the moto
account, warm (cfn-lint and checkov results cached), in two variants, interleaved:

  with     cdkcheck as shipped: every stack's template is read (GetTemplate) and compared
  without  the update rules off and the comparison refused (the deploy estimate then
           counts every stack as a first deploy): cdkcheck before the comparison existed

each once with the live-answer rerun cache on (a rerun at a desk within two minutes)
(--max-facts-age 120) and once with it off (the default: every run asks the account, as in CI).
Prints medians and the difference; exits 1 if the comparison adds 1 s or more.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "tests" / "live"))

import large_app  # noqa: E402
from moto_account import MotoServer  # noqa: E402

PYTHON = Path(sys.executable)
LIMIT_SECONDS = 1.0
# The "without" variant: cdkcheck with its update comparison refused, run as a module so nothing is installed.
WITHOUT = """
import sys
from cdkcheck.updates import plan as update_plan
from cdkcheck.facts.interface import FactUnavailable
def refused(*args, **kwargs):
    raise FactUnavailable("comparison switched off for the benchmark", skipped=True)
update_plan.update_plan = refused
from cdkcheck.cli.main import app
sys.argv[0] = "cdkcheck"
app()
"""
WITH = "import sys\nfrom cdkcheck.cli.main import app\nsys.argv[0] = 'cdkcheck'\napp()\n"
U_RULES = ("CDKC-U1", "CDKC-U2", "CDKC-U3", "CDKC-U4", "CDKC-U5", "CDKC-U6")


def synth(app_dir: Path, cache: Path) -> Path:
    from cdkcheck.app.synth import read_cdk_app, synthesize

    outcome = synthesize(read_cdk_app(app_dir), extra_context={}, extra_env={}, cache_root=cache, timeout=600)
    if outcome.assembly_dir is None:
        raise SystemExit(f"the generated app did not synthesize: {outcome.failure}")
    return Path(outcome.assembly_dir)


def deploy(server: MotoServer, assembly: Path) -> int:
    import boto3

    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    session.client("ssm", endpoint_url=server.url).put_parameter(
        Name="/cdk-bootstrap/hnb659fds/version", Value="21", Type="String")
    cloudformation = session.client("cloudformation", endpoint_url=server.url)
    manifest = json.loads((assembly / "manifest.json").read_text())
    count = 0
    for name, artifact in manifest["artifacts"].items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        body = (assembly / artifact["properties"]["templateFile"]).read_text()
        cloudformation.create_stack(StackName=name, TemplateBody=body)
        status = cloudformation.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
        if status != "CREATE_COMPLETE":
            raise SystemExit(f"moto could not create {name}: {status}")
        count += 1
    return count


def run(variant: str, assembly: Path, config: Path, env: dict[str, str], max_facts_age: str = "0") -> tuple[float, str]:
    command = [str(PYTHON), "-c", WITH if variant == "with" else WITHOUT, large_app.ENVIRONMENT,
               "--assembly", str(assembly), "--config", str(config), "--format", "json", "--quiet",
               "--max-facts-age", max_facts_age]
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1, 3):
        raise SystemExit(f"{variant}: exit {done.returncode}\n{done.stderr[-2000:]}")
    return seconds, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--stacks", type=int, default=20)
    parser.add_argument("--resources", type=int, default=200)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="cdkcheck-update-bench-"))
    cache = work / "cache"
    app_dir = large_app.write_app(work / "app", stacks=args.stacks, resources=args.resources)
    print(f"synthesizing {args.stacks} x {args.resources} ...", flush=True)
    deployed = synth(app_dir, cache)
    server = MotoServer()
    try:
        started = time.perf_counter()
        stacks = deploy(server, deployed)
        print(f"created {stacks} stacks in moto in {time.perf_counter() - started:.1f} s", flush=True)
        large_app.change_one_line(app_dir, 1)
        assembly = synth(app_dir, cache)
        config = work / "cdkcheck.toml"
        config.write_text(f'cache_dir = "{cache}"\n[environments.{large_app.ENVIRONMENT}]\nregion = "us-east-1"\n')
        without_config = work / "without.toml"
        without_config.write_text(config.read_text() + "".join(
            f"[environments.{large_app.ENVIRONMENT}.rules.{rule}]\nenabled = false\n" for rule in U_RULES))
        base = {**os.environ, "AWS_ENDPOINT_URL": server.url, "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true", "CDKCHECK_CACHE_DIR": str(cache)}
        base.pop("AWS_SESSION_TOKEN", None)
        print("first run (fills the cfn-lint / checkov cache) ...", flush=True)
        _, output = run("with", assembly, config, base)
        findings = [f for e in json.loads(output)["environments"] for f in e["findings"] if f["rule_id"] in U_RULES]
        estimate = json.loads(output)["environments"][0].get("deploy_estimate") or {}
        estimate = (f"deploy estimate {estimate.get('typical_minutes')} min typical "
                    f"({'; '.join(estimate.get('notes', [])) or 'no notes'})")
        samples: dict[tuple[str, str], list[float]] = {}
        for round_number in range(args.rounds):
            for cache_mode, ttl in (("answers reused (--max-facts-age 120)", "120"), ("read afresh (default)", "0")):
                for variant, cfg in (("with", config), ("without", without_config)):
                    seconds, _ = run(variant, assembly, cfg, base, max_facts_age=ttl)
                    samples.setdefault((cache_mode, variant), []).append(seconds)
            print(f"round {round_number + 1}/{args.rounds} done", flush=True)
    finally:
        server.stop()
    print(f"\n{args.stacks} stacks x {args.resources} resources, deployed in moto; one queue changed; "
          f"{args.rounds} rounds, load {os.getloadavg()[0]:.1f}")
    print(f"update findings: {len(findings)}; {estimate}")
    print(f"{'':18} {'with s':>8} {'without s':>10} {'added s':>8}  (medians; min-max with)")
    worst = 0.0
    for cache_mode in ("answers reused (--max-facts-age 120)", "read afresh (default)"):
        with_s = samples[(cache_mode, "with")]
        without_s = samples[(cache_mode, "without")]
        added = statistics.median(with_s) - statistics.median(without_s)
        worst = max(worst, added)
        print(f"{cache_mode:18} {statistics.median(with_s):8.2f} {statistics.median(without_s):10.2f} "
              f"{added:8.2f}  ({min(with_s):.2f}-{max(with_s):.2f})")
    if worst >= LIMIT_SECONDS:
        print(f"\nFAIL: the comparison adds {worst:.2f} s (limit {LIMIT_SECONDS:g} s)")
        return 1
    print(f"\nOK: the comparison adds at most {worst:.2f} s to a warm run (limit {LIMIT_SECONDS:g} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
