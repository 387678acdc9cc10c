"""Profile one cdkcheck run: where the Python time goes, and where the synth's Node time goes.

Usage: .venv/bin/python bench/profile.py [ENV ...] [--app DIR] [--warm] [--no-node]

Runs `cdkcheck ENV... --app DIR --offline` under pyinstrument (cold: empty cache;
--warm: after one untimed run filled it) and prints its call tree. On a cold run
the CDK app's Node process is profiled too (NODE_OPTIONS=--cpu-prof) and the
JavaScript functions with the most inclusive time are listed: that is where
`cdk synth` itself spends its time (CDK's validation plugins, for one).
cfn-lint and checkov run in their own processes and are timed by bench/run.py.
Defaults: courtcase, staging and production.
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from run import REPO, tool_env  # noqa: E402


def node_summary(profile_dir: Path, top: int = 25) -> str:
    """Inclusive time per JavaScript function, over the busiest .cpuprofile (the jsii kernel)."""
    profiles = sorted(profile_dir.glob("*.cpuprofile"), key=lambda p: p.stat().st_size)
    if not profiles:
        return "(no Node profile was written)"
    data = json.loads(profiles[-1].read_text())
    nodes = {n["id"]: n for n in data["nodes"]}
    parent = {child: n["id"] for n in data["nodes"] for child in n.get("children", [])}
    self_time = collections.Counter()
    for sample, delta in zip(data["samples"], data["timeDeltas"]):
        self_time[sample] += delta / 1e6
    inclusive = collections.Counter()
    for node_id, seconds in self_time.items():
        seen = set()
        while node_id in nodes:
            frame = nodes[node_id]["callFrame"]
            key = f"{frame['functionName'] or '(anonymous)'}  {frame['url'].rsplit('/', 1)[-1]}"
            if key not in seen:
                inclusive[key] += seconds
                seen.add(key)
            node_id = parent.get(node_id)
    total = sum(self_time.values())
    lines = [f"Node CPU profile of the synth: {total:.2f} s sampled"]
    lines += [f"  {seconds:6.2f} s  {name}" for name, seconds in inclusive.most_common(top)]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("environments", nargs="*", default=["staging", "production"])
    parser.add_argument("--app", type=Path, default=REPO / "fixtures" / "apps" / "courtcase")
    parser.add_argument("--warm", action="store_true", help="profile a run with a filled cache")
    parser.add_argument("--no-node", action="store_true", help="do not profile the synth's Node process")
    args = parser.parse_args()
    try:
        import pyinstrument  # noqa: F401
    except ImportError:
        print("pyinstrument is not installed: .venv/bin/pip install -e '.[dev]'", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="cdkcheck-profile-") as work:
        cache = Path(work) / "cache"
        command = [*args.environments, "--app", str(args.app), "--offline", "--quiet"]
        env = tool_env({"CDKCHECK_CACHE_DIR": str(cache)})
        if args.warm:
            subprocess.run([sys.executable, "-m", "cdkcheck.cli.main", *command], env=env, stdout=subprocess.DEVNULL,
                           check=False)
        elif not args.no_node:
            node_dir = Path(work) / "node-profile"
            env["NODE_OPTIONS"] = f"{env.get('NODE_OPTIONS', '')} --cpu-prof --cpu-prof-dir={node_dir}".strip()
        report = Path(work) / "pyinstrument.txt"
        subprocess.run([sys.executable, "-m", "pyinstrument", "-i", "0.002", "-o", str(report), "-m", "cdkcheck.cli.main",
                        *command], env=env, stdout=subprocess.DEVNULL, check=False)
        print(report.read_text())
        if not args.warm and not args.no_node:
            print(node_summary(Path(work) / "node-profile"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
