"""A failed synth that is down to the toolchain says what to install or run, not "fix your app"."""

from __future__ import annotations

import json
from pathlib import Path

from cdkcheck.app.synth import read_cdk_app
from cdkcheck.app.toolchain import command_words, explain_toolchain, install_command


def app_with(tmp_path: Path, command: str, files: dict[str, str] | None = None):
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "cdk.json").write_text(json.dumps({"app": command}))
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(text)
    return read_cdk_app(tmp_path)


def test_command_words_are_the_programs_of_each_part():
    assert command_words("npx tsc && npx tsx bin/app.ts") == ["npx", "npx"]
    assert command_words("FOO=1 mvn -e -q compile exec:java") == ["mvn"]
    assert command_words("go mod download && go run cdk.go") == ["go", "go"]


def test_a_missing_go_is_named_with_how_to_install_it(tmp_path):
    app = app_with(tmp_path / "app", "go mod download && go run cdk.go")
    what, fix = explain_toolchain(app, "`go mod download` exited with code 127\nsh: 1: go: not found", None,
                                  {"PATH": str(tmp_path)})
    assert "`go`" in what and "not installed" in what and "https://go.dev/doc/install" in fix


def test_dotnet_and_gradle_too(tmp_path):
    for tool, hint in (("dotnet", ".NET SDK"), ("gradle", "Gradle")):
        app = app_with(tmp_path / tool, f"{tool} run")
        assert hint in explain_toolchain(app, f"sh: 1: {tool}: not found", None, {"PATH": str(tmp_path)})[1]


def test_node_packages_not_installed_asks_for_the_lock_files_install(tmp_path):
    app = app_with(tmp_path / "app", "npx tsx bin/app.ts", {"package.json": "{}", "package-lock.json": "{}"})
    what, fix = explain_toolchain(app, "npm error could not determine executable to run", None)
    assert "aws-cdk-lib is not in node_modules" in what and fix.startswith("run `npm ci`")
    (tmp_path / "app" / "yarn.lock").write_text("")
    (tmp_path / "app" / "package-lock.json").unlink()
    assert install_command(tmp_path / "app") == "yarn install --frozen-lockfile"


def test_an_app_error_with_everything_installed_is_left_to_the_app(tmp_path):
    app = app_with(tmp_path / "app", "node bin/app.js", {"package.json": "{}"})
    package = tmp_path / "app" / "node_modules" / "aws-cdk-lib"
    package.mkdir(parents=True)
    (package / "package.json").write_text("{}")
    assert explain_toolchain(app, "Error: bucket name must be lowercase", None) is None
