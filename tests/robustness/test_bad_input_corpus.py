"""Every bad input in corpus/ ends in one clear message (file, problem, fix) and exit 2, or a blocking finding.

Each corpus directory holds the input files and a case.toml with its one expectation:
`args` for cdkcheck (run inside a copy of the directory), `exit_code`, and the fragments
that must appear: `file` and `message` (and `hint`) on stderr for errors, `output` on
stdout for verdicts and findings. Never a traceback, unless --debug asks for one. A few
odd but valid inputs (YAML, reference cycles, unicode paths, symlinks) are here too:
they must reach a verdict like any other template.
"""

from __future__ import annotations

import json
import shutil
import time
import tomllib

import pytest

from robust_cli import CORPUS, REPO, run_cdkcheck
from timeouts import scaled

CASES = sorted(p for p in CORPUS.iterdir() if (p / "case.toml").is_file())


def load_case(directory):
    return tomllib.loads((directory / "case.toml").read_text(encoding="utf-8"))


def copy_case(directory, tmp_path):
    target = tmp_path / directory.name
    shutil.copytree(directory, target, symlinks=True, ignore=shutil.ignore_patterns("case.toml"))
    return target


def assert_clear_error(run, *, file: str | None, message: str, hint: str | None = None):
    errors = [line for line in run.stderr.splitlines() if line.startswith("cdkcheck: error:")]
    assert len(errors) == 1, run.stderr
    assert "Traceback" not in run.output and "internal error" not in run.output, run.stderr
    assert message in run.stderr, run.stderr
    if file is not None:
        assert file in errors[0], f"the message does not name {file}: {errors[0]}"
    if hint is not None:
        assert hint in run.stderr, run.stderr
    # The fix: a hint line, or a message that itself says what the value must be.
    assert "hint:" in run.stderr or " must " in errors[0], f"no fix offered: {run.stderr}"


def test_every_case_declares_one_expectation():
    assert len(CASES) >= 40
    for directory in CASES:
        case = load_case(directory)
        assert case["about"] and case["args"], directory.name
        assert case["exit_code"] in (0, 1, 2, 3), directory.name
        assert ("message" in case) == (case["exit_code"] == 2), directory.name
        assert ("output" in case) == (case["exit_code"] != 2), directory.name


def _param(directory):
    # Cases that get as far as cfn-lint and checkov take seconds each.
    marks = [pytest.mark.slow] if load_case(directory).get("slow") else []
    return pytest.param(directory, id=directory.name, marks=marks)


@pytest.mark.parametrize("directory", [_param(p) for p in CASES])
def test_bad_input(directory, tmp_path):
    case = load_case(directory)
    workdir = copy_case(directory, tmp_path)
    started = time.monotonic()
    run = run_cdkcheck(*case["args"], cwd=workdir, timeout=case.get("max_seconds", 60))
    assert run.code == case["exit_code"], f"{case['about']}\nstdout:\n{run.stdout}\nstderr:\n{run.stderr}"
    if case["exit_code"] == 2:
        assert_clear_error(run, file=case.get("file"), message=case["message"], hint=case.get("hint"))
    else:
        assert "Traceback" not in run.output and "internal error" not in run.output, run.stderr
        for fragment in case["output"]:
            assert fragment in run.stdout, f"{fragment!r} not in:\n{run.stdout}"
    assert time.monotonic() - started < scaled(case.get("max_seconds", 60))


ERROR_CASES = [p for p in CASES if load_case(p)["exit_code"] == 2]


@pytest.mark.parametrize("directory", ERROR_CASES[::4], ids=[p.name for p in ERROR_CASES[::4]])
def test_debug_shows_the_traceback_and_keeps_the_exit_code(directory, tmp_path):
    case = load_case(directory)
    run = run_cdkcheck(*case["args"], "--debug", cwd=copy_case(directory, tmp_path))
    assert "Traceback (most recent call last)" in run.stderr, run.stderr
    assert case["message"] in run.stderr
    assert run.code == 2


# ---------------------------------------------------------------- generated: too big to keep in the repository

# CloudFormation refuses a template over 1,000,000 bytes from S3, where CDK puts every template
# (cfn-lint's LIMITS["template"]["body"]; the 51,200-byte limit is for TemplateBody sent inline).
S3_TEMPLATE_LIMIT = 1_000_000


def sized_assembly(directory, size: int):
    """An assembly whose one template is exactly `size` bytes, in under 500 resources (another limit)."""
    directory.mkdir(parents=True)
    value_length = 3500  # standard SSM parameters hold up to 4 KB
    resources = {}
    body = {"Resources": resources}
    while len(json.dumps(body, indent=1)) < size - 2500:
        resources[f"Setting{len(resources):03d}"] = {
            "Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": "v" * value_length}}
    resources["Padding"] = {"Type": "AWS::SSM::Parameter", "Properties": {"Type": "String", "Value": ""}}
    resources["Padding"]["Properties"]["Value"] = "p" * (size - len(json.dumps(body, indent=1)))
    text = json.dumps(body, indent=1)
    assert len(text.encode()) == size and len(resources) < 500
    (directory / "Staging.template.json").write_text(text)
    manifest = {"version": "36.0.0", "artifacts": {"Staging": {
        "type": "aws:cloudformation:stack", "environment": "aws://111111111111/us-east-1",
        "properties": {"templateFile": "Staging.template.json",
                       "stackTemplateAssetObjectUrl": "s3://cdk-assets/Staging.template.json"}}}}
    (directory / "manifest.json").write_text(json.dumps(manifest))
    return directory


@pytest.mark.slow
def test_template_just_under_the_size_limit_gets_a_verdict_in_bounded_time(tmp_path):
    sized_assembly(tmp_path / "cdk.out", S3_TEMPLATE_LIMIT - 1000)
    started = time.monotonic()
    run = run_cdkcheck("staging", "--assembly", "cdk.out", "--offline", "--format", "json", cwd=tmp_path,
                       timeout=300)
    assert run.code in (0, 1), run.stderr
    assert "Traceback" not in run.output
    report = json.loads(run.stdout)
    rule_ids = {f["rule_id"] for e in report["environments"] for f in e["findings"]}
    assert not {"E1002", "CDKC-K6"} & rule_ids  # under the limit: no size complaint
    assert time.monotonic() - started < scaled(300)


@pytest.mark.slow
def test_template_over_the_size_limit_is_blocked(tmp_path):
    sized_assembly(tmp_path / "cdk.out", S3_TEMPLATE_LIMIT + 50_000)
    run = run_cdkcheck("staging", "--assembly", "cdk.out", "--offline", "--format", "json", cwd=tmp_path,
                       timeout=300)
    assert "Traceback" not in run.output
    report = json.loads(run.stdout)
    blocking = [f for e in report["environments"] for f in e["findings"] if f["blocking"]]
    assert run.code == 1 and any("size" in f["message"].lower() for f in blocking), blocking


@pytest.mark.slow
def test_app_in_a_directory_with_a_space_and_a_non_ascii_letter(tmp_path):
    """A real CDK synth (fixtures/apps/minimal) from "my app ü/": paths survive the synth, cache and reports."""
    app = tmp_path / "my app ü"
    shutil.copytree(REPO / "fixtures" / "apps" / "minimal", app)
    # A cache of its own: the shared one may hold this app's assembly already (the key ignores where it lives).
    run = run_cdkcheck("staging", "--app", "my app ü", "--offline", "--format", "json", cwd=tmp_path, timeout=300,
                       env={"CDKCHECK_CACHE_DIR": str(tmp_path / "cache")})
    assert run.code == 0, run.stderr
    assert [p for p in (tmp_path / "cache" / "synth").iterdir() if not p.name.startswith(".")]  # it did synthesize
    (environment,) = json.loads(run.stdout)["environments"]
    assert environment["verdict"] == "GO" and environment["stacks"] == ["Minimal-Staging"]
    # Findings still point into the user's code under the odd path.
    located = {f["location"]["file"] for f in environment["findings"] if f.get("location")}
    assert located and all(path.endswith("app.py") for path in located), located
