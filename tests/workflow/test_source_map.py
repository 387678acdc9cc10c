"""Source locations: the recorder the synth injects, and mapping construct paths to the user's lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cdkcheck.model import Finding, Severity, Source, SourceLocation
from cdkcheck.app.source_map import SOURCES_FILE, locate_findings, read_source_map, recorder_environment, source_for

SOURCES = {"Shop-Staging": ("app.py", 30), "Shop-Staging/Db": ("stacks/data.py", 12),
           "Shop-Staging/Db/Resource": ("constructs/db.py", 5)}


def finding(path=None, stack="Shop-Staging", location=None) -> Finding:
    return Finding(rule_id="CDKC-R4", source=Source.CDKCHECK, severity=Severity.ERROR, message="m",
                   stack=stack, construct_path=path, location=location)


def write_sources(assembly: Path, constructs) -> None:
    assembly.mkdir(parents=True, exist_ok=True)
    (assembly / SOURCES_FILE).write_text(json.dumps({"version": 1, "constructs": constructs}))


def test_nearest_recorded_ancestor_wins():
    assert source_for("Shop-Staging/Db/Resource", SOURCES) == ("constructs/db.py", 5)
    assert source_for("Shop-Staging/Db/Secret/Resource", SOURCES) == ("stacks/data.py", 12)
    assert source_for("Shop-Staging/Queue/Resource", SOURCES) == ("app.py", 30)
    assert source_for("Other/Thing", SOURCES) is None
    assert source_for(None, SOURCES) is None


def test_locate_replaces_template_locations_and_keeps_the_rest(tmp_path):
    app = tmp_path / "app"
    for name in ("app.py", "stacks/data.py"):
        (app / name).parent.mkdir(parents=True, exist_ok=True)
        (app / name).write_text("")
    write_sources(tmp_path / "out", {"Shop-Staging": ["app.py", 30], "Shop-Staging/Db": ["stacks/data.py", 12],
                                     "Shop-Staging/Gone": ["deleted.py", 3]})
    template = SourceLocation(file="Shop-Staging.template.json", line=40, kind="template")
    located = locate_findings([
        finding("Shop-Staging/Db/Resource", location=template),
        finding(None),  # stack-level: the line that created the stack
        finding("Elsewhere/X", stack="Elsewhere", location=template),
        finding("Shop-Staging/Gone/Resource", location=template),  # recorded file no longer in the app
    ], tmp_path / "out", app)
    assert located[0].location == SourceLocation("stacks/data.py", 12, "source")
    assert located[1].location == SourceLocation("app.py", 30, "source")
    assert located[2].location == template
    assert located[3].location == SourceLocation("app.py", 30, "source")  # nearest ancestor whose file exists


def test_no_or_broken_map_changes_nothing(tmp_path):
    findings = [finding("Shop-Staging/Db")]
    assert locate_findings(findings, tmp_path, tmp_path) == findings
    (tmp_path / SOURCES_FILE).write_text("{not json")
    assert read_source_map(tmp_path) == {}
    write_sources(tmp_path, {"A": ["x.py"], "B": "y.py", "C": ["z.py", "7"], "D": ["ok.py", 3]})
    assert read_source_map(tmp_path) == {"D": ("ok.py", 3)}


def test_recorder_chains_to_the_sitecustomize_it_shadows(tmp_path):
    """An existing sitecustomize (a venv's, a distro's) must still run under the recorder."""
    other = tmp_path / "other-site"
    other.mkdir()
    marker = tmp_path / "marker"
    (other / "sitecustomize.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n")
    env = {**os.environ, "PYTHONPATH": str(other), "CDK_OUTDIR": str(tmp_path / "out")}
    env.update(recorder_environment(tmp_path, tmp_path / "base", env))
    assert env["PYTHONPATH"].endswith(os.pathsep + str(other))
    result = subprocess.run([sys.executable, "-c", "import sitecustomize; print(sitecustomize.__file__)"],
                            env=env, capture_output=True, text=True, check=True)
    assert marker.read_text() == "ran"
    assert result.stdout.strip() == str(other / "sitecustomize.py")


def test_recorder_is_silent_for_a_program_that_creates_no_constructs(tmp_path):
    env = {**os.environ, "CDK_OUTDIR": str(tmp_path / "out")}
    (tmp_path / "out").mkdir()
    env.update(recorder_environment(tmp_path, tmp_path / "base", env))
    result = subprocess.run([sys.executable, "-c", "print('hello')"], env=env, capture_output=True, text=True,
                            check=True)
    assert (result.stdout, result.stderr) == ("hello\n", "")
    assert not (tmp_path / "out" / SOURCES_FILE).exists()


def _assembly_with_creation_stacks(tmp_path: Path, app: Path) -> Path:
    """A cloud assembly whose stack metadata holds CDK's creation stacks, as aws-cdk-lib writes them."""
    out = tmp_path / "cdk.out"
    out.mkdir()
    frames = {
        "/Shop": [f"<anonymous> ({app}/bin/app.ts:6:1)"],
        "/Shop/Vpc/Resource": ["...new Vpc2 in aws-cdk-lib...", f"new ShopStack ({app}/lib/shop.ts:11:17)",
                               f"<anonymous> ({app}/bin/app.ts:6:1)"],
        "/Shop/Vpc/PublicSubnet1/Subnet": [f"...{app}/node_modules/aws-cdk-lib/aws-ec2/lib/vpc.js:1:268 in "
                                           "aws-cdk-lib...", "Array.forEach (:)", "...aws-cdk-lib..."],
    }
    metadata = {path: [{"type": "aws:cdk:creationStack", "data": data}] for path, data in frames.items()}
    (out / "Shop.metadata.json").write_text(json.dumps(metadata))
    (out / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": {"Shop": {
        "type": "aws:cloudformation:stack", "additionalMetadataFile": "Shop.metadata.json"}}}))
    return out


def test_typescript_creation_stacks_point_findings_at_the_users_line(tmp_path):
    from cdkcheck.app.source_map import creation_stack_sources

    app = tmp_path / "app"
    for file in ("bin/app.ts", "lib/shop.ts"):
        (app / file).parent.mkdir(parents=True, exist_ok=True)
        (app / file).write_text("//\n")
    out = _assembly_with_creation_stacks(tmp_path, app)
    sources = creation_stack_sources(out, app)
    assert sources["Shop/Vpc/Resource"] == ("lib/shop.ts", 11) and sources["Shop"] == ("bin/app.ts", 6)
    subnet = Finding(rule_id="X", source=Source.CFN_LINT, severity=Severity.ERROR, message="m", stack="Shop",
                     construct_path="Shop/Vpc/PublicSubnet1/Subnet")
    [located] = locate_findings([subnet], out, app)
    assert located.location == SourceLocation(file="lib/shop.ts", line=11, kind="source")  # its Vpc's line


def test_a_failed_synth_points_at_the_apps_own_frame(tmp_path):
    from cdkcheck.app.source_map import failure_location

    app = tmp_path / "app"
    node = (f"Error: boom\n    ...HostedZone2.fromLookup in aws-cdk-lib...\n"
            f"    at new StaticSite ({app}/static-site.ts:27:37)\n    at <anonymous> ({app}/index.ts:30:1)\n")
    assert failure_location(node, app) == ("static-site.ts", 27)
    python = (f'Traceback (most recent call last):\n  File "{app}/app.py", line 9, in <module>\n'
              f'  File "{app}/stacks/data.py", line 41, in __init__\n'
              f'  File "{app}/.venv/lib/python3.11/site-packages/aws_cdk/__init__.py", line 3, in x\n')
    assert failure_location(python, app) == ("stacks/data.py", 41)
    assert failure_location("sh: 1: mvn: not found", app) is None
