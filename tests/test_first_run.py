"""A new user's first runs, through the installed `cdkcheck` in a temporary copy of a fixture app.

Bare `cdkcheck` gives a verdict with or without a config; every hint an error prints is followed, as
printed, and must work.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
APPS = REPO / "fixtures" / "apps"
CDKCHECK = Path(sys.executable).parent / "cdkcheck"

pytestmark = pytest.mark.slow


def copy_app(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(APPS / name, target, ignore=shutil.ignore_patterns("cdk.out", "cdkcheck.toml"))
    return target


def run(args, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    argv = shlex.split(args) if isinstance(args, str) else list(args)
    assert argv[0] == "cdkcheck"
    return subprocess.run([str(CDKCHECK), *argv[1:]], cwd=cwd, capture_output=True, text=True, timeout=600,
                          env=env or os.environ)


def hinted_commands(output: str) -> list[str]:
    """The `cdkcheck ...` commands the hint line suggests, as printed."""
    hint = next(line for line in output.splitlines() if line.strip().startswith("hint:"))
    return [c for c in re.findall(r"`([^`]+)`", hint) if c.startswith("cdkcheck")]


def verdicts(stdout: str) -> dict[str, dict]:
    return {e["name"]: e for e in json.loads(stdout)["environments"]}


# ------------------------------------------------------------------ bare cdkcheck


def test_bare_cdkcheck_without_config_checks_every_stack_as_one_environment(tmp_path):
    app = copy_app("minimal", tmp_path)
    bare = run("cdkcheck", app)
    # No credentials in the suite and the stacks span two accounts: the live checks cannot answer.
    assert bare.returncode == 3, bare.stdout + bare.stderr
    assert re.match(r"default: INCONCLUSIVE +\(2 stacks", bare.stdout)
    assert "2 accounts/regions" in bare.stdout and "cdkcheck init" in bare.stdout
    assert "no environments configured (no cdkcheck.toml): every stack is checked as one environment " \
           "'default'; `cdkcheck init` writes a cdkcheck.toml that splits it per environment" in bare.stderr

    offline = run("cdkcheck --offline --format json", app)
    assert offline.returncode == 0, offline.stderr
    default = verdicts(offline.stdout)["default"]
    assert default["verdict"] == "GO"
    assert sorted(default["stacks"]) == ["Minimal-Production", "Minimal-Staging"]


def test_help_still_prints_help(tmp_path):
    shown = run("cdkcheck --help", tmp_path)
    assert shown.returncode == 0 and "Usage:" in shown.stdout and "init" in shown.stdout


def test_after_init_bare_cdkcheck_checks_every_environment_in_the_file(tmp_path):
    app = copy_app("minimal", tmp_path)
    init = run("cdkcheck init", app)
    assert init.returncode == 0, init.stderr
    assert "staging (1 stack), production (1 stack)" in init.stdout
    assert "not in any environment" not in init.stdout
    for command in re.findall(r"`([^`]+)`", init.stdout):  # "check them with `cdkcheck` (or `cdkcheck staging`)"
        checked = run(f"{command} --offline --format json", app)
        assert checked.returncode == 0, checked.stderr
        assert "no environments configured" not in checked.stderr
    checked = run("cdkcheck --offline --format json", app)
    found = verdicts(checked.stdout)
    assert list(found) == ["staging", "production"]
    assert found["staging"]["stacks"] == ["Minimal-Staging"] and found["production"]["stacks"] == ["Minimal-Production"]
    live = run("cdkcheck", app)  # one account per environment now: only the missing credentials stop the live checks
    assert live.returncode == 3 and "no AWS credentials found" in live.stdout
    assert "accounts/regions" not in live.stdout


def test_init_without_environment_words_reports_what_the_file_holds(tmp_path):
    app = copy_app("minimal", tmp_path)
    source = (app / "app.py").read_text()
    (app / "app.py").write_text(source.replace("Minimal-Staging", "Queues-A").replace("Minimal-Production",
                                                                                       "Queues-B")
                                .replace("222222222222", "111111111111"))  # one account: one environment
    init = run("cdkcheck init", app)
    assert init.returncode == 0, init.stderr
    assert "one environment 'default' with every stack (2 stacks)" in init.stdout
    assert "not in any environment" not in init.stdout and "see the comment" not in init.stdout
    assert 'stacks = ["*"]' in (app / "cdkcheck.toml").read_text()
    checked = run("cdkcheck --offline --format json", app)
    assert verdicts(checked.stdout)["default"]["stacks"] == ["Queues-A", "Queues-B"]


def test_init_on_stacks_in_two_accounts_writes_the_environment_per_account_its_hint_promises(tmp_path):
    app = copy_app("minimal", tmp_path)
    (app / "app.py").write_text((app / "app.py").read_text().replace("Minimal-Staging", "Queues-A")
                                .replace("Minimal-Production", "Queues-B"))
    bare = run("cdkcheck", app)
    assert "give each account its own environment" in bare.stdout and "account/region" in bare.stdout
    init = run("cdkcheck init", app)
    assert init.returncode == 0 and "a (1 stack), b (1 stack)" in init.stdout, init.stdout + init.stderr
    checked = verdicts(run("cdkcheck --offline --format json", app).stdout)
    assert {name: (e["account"], e["stacks"]) for name, e in checked.items()} == {
        "a": ("111111111111", ["Queues-A"]), "b": ("222222222222", ["Queues-B"])}


# ------------------------------------------------------------ hints, followed


def test_an_environment_no_stack_is_named_with_hints_three_commands_that_work(tmp_path):
    app = copy_app("minimal", tmp_path)
    failed = run("cdkcheck qa --offline", app)
    assert failed.returncode == 2
    commands = hinted_commands(failed.stderr)
    assert commands == ["cdkcheck", "cdkcheck qa --stack Minimal-Production", "cdkcheck init"]
    for command in commands[:2]:
        followed = run(f"{command} --offline --format json", app)
        assert followed.returncode == 0, followed.stderr
        assert verdicts(followed.stdout)  # a verdict for each environment
    assert verdicts(run(f"{commands[1]} --offline --format json", app).stdout)["qa"][
        "stacks"] == ["Minimal-Production"]
    assert run(commands[2], app).returncode == 0 and (app / "cdkcheck.toml").is_file()


def test_the_matching_stack_hint_names_a_glob_that_matches(tmp_path):
    app = copy_app("minimal", tmp_path)
    failed = run("cdkcheck staging --stack Nope* --offline", app)
    assert failed.returncode == 2
    suggested = re.search(r"`(--stack [^`]+)`", failed.stderr).group(1)
    followed = run(f"cdkcheck staging {suggested} --offline --format json", app)
    assert followed.returncode == 0, followed.stderr
    assert verdicts(followed.stdout)["staging"]["stacks"] == ["Minimal-Staging"]


def test_config_globs_that_match_nothing_name_the_table_to_fix(tmp_path):
    app = copy_app("minimal", tmp_path)
    (app / "cdkcheck.toml").write_text('[environments.staging]\nstacks = ["Nope-*"]\n')
    failed = run("cdkcheck --offline", app)
    assert failed.returncode == 2
    assert "Fix the 'stacks' globs of [environments.staging] in cdkcheck.toml" in failed.stderr
    listed = re.search(r"stacks in the app: ([^.]+)\.", failed.stderr).group(1).split(", ")
    (app / "cdkcheck.toml").write_text(f'[environments.staging]\nstacks = ["{listed[0]}"]\n')
    assert run("cdkcheck --offline", app).returncode == 0


def test_unknown_environment_suggestion_works(tmp_path):
    app = copy_app("minimal", tmp_path)
    (app / "cdkcheck.toml").write_text('[environments.staging]\nstacks = ["Minimal-Staging"]\n')
    failed = run("cdkcheck stagin --offline", app)
    assert failed.returncode == 2
    suggested = re.search(r"did you mean '([^']+)'", failed.stderr).group(1)
    assert run(f"cdkcheck {suggested} --offline", app).returncode == 0


def test_config_key_typo_suggestion_works(tmp_path):
    app = copy_app("minimal", tmp_path)
    (app / "cdkcheck.toml").write_text('[environments.staging]\nstakcs = ["Minimal-Staging"]\n')
    failed = run("cdkcheck --offline", app)
    assert failed.returncode == 2 and "cdkcheck.toml" in failed.stderr
    suggested = re.search(r"did you mean '([^']+)'", failed.stderr).group(1)
    (app / "cdkcheck.toml").write_text(f'[environments.staging]\n{suggested} = ["Minimal-Staging"]\n')
    assert run("cdkcheck --offline", app).returncode == 0


def test_a_placeholder_account_in_the_config_is_called_one_and_deleting_it_works(tmp_path):
    app = copy_app("minimal", tmp_path)
    (app / "cdkcheck.toml").write_text('[environments.staging]\nstacks = ["Minimal-Staging"]\n'
                                       'account = "YOUR_ACCOUNT_ID"\n')
    failed = run("cdkcheck --offline", app)
    assert failed.returncode == 2
    assert "'YOUR_ACCOUNT_ID' (a placeholder)" in failed.stderr and "delete the line" in failed.stderr
    (app / "cdkcheck.toml").write_text('[environments.staging]\nstacks = ["Minimal-Staging"]\n')
    assert run("cdkcheck --offline", app).returncode == 0


def synthesized_assembly(app: Path) -> Path:
    from cdkcheck.app.synth import default_cache_root, read_cdk_app, synthesize

    outcome = synthesize(read_cdk_app(app), extra_context={}, extra_env={}, cache_root=default_cache_root(),
                         timeout=600)
    assert outcome.assembly_dir is not None, outcome.failure
    return outcome.assembly_dir


def test_no_cdk_json_hints_pass_app_dir_or_an_assembly_work(tmp_path):
    app = copy_app("minimal", tmp_path)
    failed = run("cdkcheck --offline", tmp_path)
    assert failed.returncode == 2
    assert "pass --app DIR, or --assembly cdk.out" in failed.stderr
    assert run(f"cdkcheck --app {shlex.quote(str(app))} --offline", tmp_path).returncode == 0
    shutil.copytree(synthesized_assembly(app), tmp_path / "cdk.out")
    assert run("cdkcheck --assembly cdk.out --offline", tmp_path).returncode == 0


def test_init_on_an_app_that_fails_hints_reading_an_assembly_instead(tmp_path):
    app = copy_app("raises", tmp_path)
    failed = run("cdkcheck init", app)
    assert failed.returncode == 2 and "bucket name must be lowercase" in failed.stderr
    [command] = hinted_commands(failed.stderr)
    assert command == "cdkcheck init --assembly cdk.out"
    shutil.copytree(synthesized_assembly(copy_app("minimal", tmp_path)), app / "cdk.out")
    written = run(command, app)
    assert written.returncode == 0, written.stderr
    assert "staging (1 stack), production (1 stack)" in written.stdout


def test_a_toml_syntax_error_names_the_position_to_fix(tmp_path):
    app = copy_app("minimal", tmp_path)
    (app / "cdkcheck.toml").write_text('[environments.staging]\nstacks = [Minimal-Staging]\n')
    failed = run("cdkcheck --offline", app)
    assert failed.returncode == 2 and "fix the syntax at the position shown" in failed.stderr
    line, column = map(int, re.search(r"line (\d+), column (\d+)", failed.stderr).groups())
    lines = (app / "cdkcheck.toml").read_text().splitlines()
    assert lines[line - 1][column - 1:].startswith("Minimal-Staging")  # the position points at the bare word
    lines[line - 1] = lines[line - 1].replace("Minimal-Staging", '"Minimal-Staging"')
    (app / "cdkcheck.toml").write_text("\n".join(lines) + "\n")
    assert run("cdkcheck --offline", app).returncode == 0

    (app / "cdkcheck.toml").write_text('[environments.staging]\nstacks = ["Minimal-Staging"\n')
    unclosed = run("cdkcheck --offline", app)
    assert unclosed.returncode == 2 and "opened in the file is never closed" in unclosed.stderr
    (app / "cdkcheck.toml").write_text('[environments.staging]\nstacks = ["Minimal-Staging"]\n')
    assert run("cdkcheck --offline", app).returncode == 0


def test_report_option_hint_example_works(tmp_path):
    app = copy_app("minimal", tmp_path)
    failed = run("cdkcheck --offline --report sarif", app)
    assert failed.returncode == 2
    example = re.search(r"e\.g\. (--report \S+)", failed.stderr).group(1)
    assert run(f"cdkcheck --offline --quiet {example}", app).returncode == 0
    assert (app / example.split("=", 1)[1]).is_file()


def test_unknown_rule_suggestion_works(tmp_path):
    failed = run("cdkcheck explain CDKC-V55", tmp_path)
    assert failed.returncode == 2
    suggested = re.search(r"did you mean '([^']+)'", failed.stderr).group(1)
    assert run(f"cdkcheck explain {suggested}", tmp_path).returncode == 0


def test_cdk_json_without_app_hint_works(tmp_path):
    app = copy_app("minimal", tmp_path)
    (app / "cdk.json").write_text('{"context": {}}')
    failed = run("cdkcheck --offline", app)
    assert failed.returncode == 2
    example = re.search(r"add e\.g\. (\"app\": \"[^\"]+\")", failed.stderr).group(1)
    (app / "cdk.json").write_text("{" + example + ', "context": {}}')
    assert run("cdkcheck --offline", app).returncode == 0


def test_init_refusal_hint_move_it_away_and_init_again_works(tmp_path):
    app = copy_app("minimal", tmp_path)
    (app / "cdkcheck.toml").write_text("# mine\n")
    failed = run("cdkcheck init", app)
    assert failed.returncode == 2 and "move it away and run cdkcheck init again" in failed.stderr
    (app / "cdkcheck.toml").rename(app / "cdkcheck.toml.mine")
    assert run("cdkcheck init", app).returncode == 0
    assert (app / "cdkcheck.toml.mine").read_text() == "# mine\n"


def test_unknown_format_hint_lists_formats_that_work(tmp_path):
    app = copy_app("minimal", tmp_path)
    failed = run("cdkcheck --offline --format jsn", app)
    assert failed.returncode == 2
    formats = re.search(r"choose one of (.+)", failed.stderr).group(1).split(", ")
    for name in formats:
        assert run(f"cdkcheck --offline --quiet --format {name}", app).returncode == 0, name


# ------------------------------------------------------------------ placeholders


def test_placeholder_account_and_lookup_values_are_called_out(tmp_path):
    app = copy_app("missing_context", tmp_path)
    source = (app / "app.py").read_text()
    (app / "app.py").write_text(source.replace('account="111111111111"', 'account="YOUR_ACCOUNT_ID_WITHOUT_HYPHEN"')
                                .replace('vpc_name="shared-staging"', 'vpc_name="MY-VPC-NAME"'))
    checked = run("cdkcheck --offline --format json", app)
    assert checked.returncode == 1, checked.stderr
    findings = verdicts(checked.stdout)["default"]["findings"]
    lookup = next(f for f in findings if f["rule_id"] == "CDK-MISSING-CONTEXT" and "vpc" in f["message"].lower())
    assert "'YOUR_ACCOUNT_ID_WITHOUT_HYPHEN', 'MY-VPC-NAME', which look like placeholders" in lookup["message"]
    assert "'YOUR_ACCOUNT_ID_WITHOUT_HYPHEN' (a placeholder, not a 12-digit AWS account id)" in lookup["fix"]
    assert "credentials for aws://YOUR_ACCOUNT_ID" not in lookup["fix"]
    bound = next(f for f in findings if f["rule_id"] == "CDKC-ENV-PLACEHOLDER")
    assert bound["blocking"] and bound["stack"] == "Lookup-Staging"


def test_an_app_without_stacks_is_told_to_create_one_and_doing_so_works(tmp_path):
    app = copy_app("minimal", tmp_path)
    source = (app / "app.py").read_text()
    (app / "app.py").write_text(source[:source.index("QueueStack(app")] + "app.synth()\n")
    failed = run("cdkcheck --offline", app)
    assert failed.returncode == 2
    assert "the app synthesizes no stacks: create a Stack in the app and call app.synth()" in failed.stderr
    (app / "app.py").write_text(source)
    assert run("cdkcheck --offline", app).returncode == 0


def test_config_and_cdk_json_hints_followed_one_after_another(tmp_path):
    """Each broken file is fixed as its hint says; the run after the last fix gives a verdict."""
    app = copy_app("minimal", tmp_path)
    config = app / "cdkcheck.toml"

    config.write_text('[environments.staging]\nstacks = ["Minimal-Staging"]\n')
    failed = run("cdkcheck qqq --offline", app)  # nothing close: the hint lists the configured ones
    listed = re.search(r"configured environments: (\S+)", failed.stderr).group(1)
    assert failed.returncode == 2 and run(f"cdkcheck {listed} --offline", app).returncode == 0

    failed = run("cdkcheck --config nope.toml --offline", app)
    assert failed.returncode == 2 and "check the --config path" in failed.stderr
    assert run("cdkcheck --config cdkcheck.toml --offline", app).returncode == 0

    config.write_text('[environments.staging]\nstacks = ["Minimal-Staging"]\nlive = "optinal"\n')
    failed = run("cdkcheck --offline", app)
    suggested = re.search(r"did you mean '([^']+)'", failed.stderr).group(1)
    config.write_text(f'[environments.staging]\nstacks = ["Minimal-Staging"]\nlive = "{suggested}"\n')
    assert failed.returncode == 2 and run("cdkcheck --offline", app).returncode == 0

    config.write_text('[environments.staging]\nstacks = ["Minimal-Staging"]\n'
                      '[[suppressions]]\nrule = "CKV_AWS_27"\nreason = "later"\n')
    failed = run("cdkcheck --offline", app)
    assert failed.returncode == 2 and "say why this finding does not apply" in failed.stderr
    config.write_text('[environments.staging]\nstacks = ["Minimal-Staging"]\n'
                      '[[suppressions]]\nrule = "CKV_AWS_27"\nreason = "the queue holds no sensitive data"\n')
    assert run("cdkcheck --offline", app).returncode == 0

    (app / "cdk.json").write_text('{"app": "python3 app.py", "context": ["x"]}')
    failed = run("cdkcheck --offline", app)
    shape = re.search(r"write it as (\"context\": \{.*\})", failed.stderr).group(1)
    (app / "cdk.json").write_text('{"app": "python3 app.py", ' + shape + "}")
    assert failed.returncode == 2 and run("cdkcheck --offline", app).returncode == 0

    (app / "cdk.json").write_text('{"app": "python3 app.py",}')
    failed = run("cdkcheck --offline", app)
    assert failed.returncode == 2 and "fix the JSON syntax" in failed.stderr
    column = int(re.search(r"column (\d+)", failed.stderr).group(1))
    assert (app / "cdk.json").read_text()[column - 1] == "}"  # the position points just past the stray comma
    (app / "cdk.json").write_text('{"app": "python3 app.py"}')
    assert run("cdkcheck --offline", app).returncode == 0
