"""Run a CDK app the way the CDK toolkit does, into a content-keyed cache.

The app command from cdk.json runs with CDK_OUTDIR and CDK_CONTEXT_JSON set,
exactly what `cdk synth` hands it, but without the CLI's own start-up (several
seconds of Node). Which Node runs it is decided in cdkcheck.app.node: the
user's own when aws-cdk-lib supports it, the bundled one only when there is none.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from cdkcheck.errors import ConfigError
from cdkcheck.app.node import NodeChoice, bundled_node_dir, choose_node
from cdkcheck.app.source_map import recorder_environment

__all__ = ["CdkApp", "SynthOutcome", "bundled_node_dir", "read_cdk_app", "synth_cache_key", "synthesize"]

# Directories under an app that are outputs or tooling, never inputs to the synth.
IGNORED_DIRS = frozenset({
    "cdk.out", ".git", "node_modules", "__pycache__", ".venv", "venv", ".cdkcheck-cache",
    ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis", ".tox", "build", "dist",
})
# Files in the app directory that are cdkcheck's own, never inputs to the app (its config is read by cdkcheck:
# what of it reaches the app, `context` and `app_env`, is part of the key as such).
IGNORED_FILES = frozenset({"cdkcheck.toml"})
OUTPUTS_RECORD = "outputs.json"  # in the cache root: report files cdkcheck wrote, left out of the key
MAX_HASHED_FILE_BYTES = 8 * 1024 * 1024
ERROR_TAIL_LINES = 25
ERROR_LINE_CHARS = 400  # a minified library line Node quotes at a throw can be 8 KB
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
CACHE_ENTRIES_KEPT = 12
STOP_POLL_SECONDS = 0.25
# While someone waits for the templates: CDK writes them, then spends seconds in validation plugins.
ASSEMBLY_POLL_SECONDS = 0.05
CACHE_FORMAT = "3"  # 3: version reporting as the CLI sets it (a CDKMetadata resource)

# What the CDK CLI passes by default: construct paths and asset metadata in templates, and version
# reporting (the CDKMetadata resource). Without the last, a stack with no other resources fails
# aws-cdk-lib's own template validation (F0001), where `cdk synth` passes. cdk.json's
# "versionReporting": false (and pathMetadata / assetMetadata) turn them off, as they do for the CLI.
TOOLKIT_CONTEXT = {
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
    "aws:cdk:version-reporting": True,
}
_SETTING_OFF = {"pathMetadata": ("aws:cdk:enable-path-metadata", None),
                "assetMetadata": ("aws:cdk:enable-asset-metadata", None),
                "versionReporting": ("aws:cdk:version-reporting", "aws:cdk:disable-version-reporting")}


@dataclass(frozen=True)
class CdkApp:
    directory: Path
    command: str
    cdk_json: Path
    context: Mapping[str, Any]  # cdk.json context, overlaid by cdk.context.json
    settings: Mapping[str, Any] = field(default_factory=dict)  # cdk.json's other keys (versionReporting, ...)


def toolkit_context(app: CdkApp) -> dict[str, Any]:
    """The context the CDK CLI adds for this app, with the settings its cdk.json turns off."""
    context = dict(TOOLKIT_CONTEXT)
    for setting, (key, disabled_key) in _SETTING_OFF.items():
        if app.settings.get(setting) is False:
            context.pop(key, None)
            if disabled_key:
                context[disabled_key] = True
    return context


@dataclass(frozen=True)
class SynthOutcome:
    assembly_dir: Path | None
    cached: bool
    seconds: float
    failure: str | None = None  # tail of the app's own error output
    timed_out: bool = False
    env: Mapping[str, str] = field(default_factory=dict)
    node: NodeChoice | None = None  # the Node that ran (or would have run) the app


def read_cdk_app(app_dir: Path) -> CdkApp:
    cdk_json = app_dir / "cdk.json"
    if not cdk_json.is_file():
        raise ConfigError("no cdk.json here", file=str(cdk_json),
                          hint="run cdkcheck from the CDK app's directory, pass --app DIR, or --assembly cdk.out")
    settings = _read_json_object(cdk_json)
    command = settings.get("app")
    if not isinstance(command, str) or not command.strip():
        raise ConfigError("cdk.json has no 'app' command", file=str(cdk_json),
                          hint='add e.g. "app": "python3 app.py"')
    context = settings.get("context", {}) or {}
    if not isinstance(context, dict):
        raise ConfigError("'context' in cdk.json must be an object", file=str(cdk_json),
                          hint='write it as "context": {"key": "value"}')
    context = dict(context)
    context_file = app_dir / "cdk.context.json"
    if context_file.is_file():
        context.update(_read_json_object(context_file))
    settings = {k: v for k, v in settings.items() if k in _SETTING_OFF}
    return CdkApp(directory=app_dir, command=command, cdk_json=cdk_json, context=context, settings=settings)


def synth_environment(account: str | None, region: str | None,
                      app_env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The env vars the toolkit sets for the app, beyond CDK_OUTDIR/CDK_CONTEXT_JSON, over the
    environment's own `app_env` (part of the synth's cache key like everything in extra_env)."""
    env = dict(app_env or {})
    if account:
        env["CDK_DEFAULT_ACCOUNT"] = account
    if region:
        env["CDK_DEFAULT_REGION"] = region
    return env


def synthesize(
    app: CdkApp,
    *,
    extra_context: Mapping[str, Any],
    extra_env: Mapping[str, str],
    cache_root: Path,
    timeout: float,
    use_cache: bool = True,
    stop: threading.Event | None = None,
    on_start: Callable[[], None] | None = None,
    on_assembly_written: Callable[[Path], None] | None = None,
    node: NodeChoice | None = None,
) -> SynthOutcome:
    """`stop`, once set (Ctrl-C or SIGTERM on the main thread), kills the app and ends the synth.

    `on_start` is called when the app is about to run (not on a cache hit). `on_assembly_written`
    gets the partial assembly directory as soon as its manifest.json is complete: CDK writes every
    template before the manifest, then runs its validation plugins (seconds) before the app exits.
    The directory is moved once the app exits, so a callback copies what it needs. Both callbacks
    only start work elsewhere; an exception from them is ignored.
    `node`: the Node to run the app with (default: chosen by cdkcheck.app.node for this machine).
    """
    if node is None:
        node = choose_node(app.directory, cache_dir=cache_root)
    context = {**app.context, **toolkit_context(app), **extra_context}
    key = synth_cache_key(app, context, extra_env, node=node, cache_root=cache_root)
    final = cache_root / "synth" / key
    if use_cache and (final / "manifest.json").is_file():
        _touch(final)
        return SynthOutcome(assembly_dir=final, cached=True, seconds=0.0, env=dict(extra_env), node=node)

    (cache_root / "synth").mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{key[:12]}.", suffix=".partial", dir=cache_root / "synth"))
    started = time.monotonic()
    _notify(on_start)
    try:
        result = _run_app(app, context, extra_env, work, timeout, stop, on_assembly_written, node)
        seconds = time.monotonic() - started
        if result is not None:
            failure, timed_out = result
            return SynthOutcome(None, False, seconds, failure=failure, timed_out=timed_out, env=dict(extra_env),
                                node=node)
        if not (work / "manifest.json").is_file():
            return SynthOutcome(None, False, seconds, env=dict(extra_env), node=node,
                                failure="the app exited successfully but wrote no manifest.json "
                                        "(does it call app.synth()?)")
        _publish(work, final)
        _prune(cache_root / "synth")
        return SynthOutcome(final, False, seconds, env=dict(extra_env), node=node)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run_app(app: CdkApp, context: Mapping[str, Any], extra_env: Mapping[str, str], outdir: Path,
             timeout: float, stop: threading.Event | None = None,
             on_assembly_written: Callable[[Path], None] | None = None,
             node: NodeChoice | None = None) -> tuple[str, bool] | None:
    """Runs the app; None on success, else (error text, timed out)."""
    env = dict(os.environ)
    env.update(extra_env)
    env["CDK_OUTDIR"] = str(outdir)
    env["CDK_CONTEXT_JSON"] = json.dumps(context, sort_keys=True)
    if node is not None:
        env.update(node.environment(env))
    env.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
    # Python apps record where their code creates each construct (cdkcheck-sources.json in the assembly).
    env.update(recorder_environment(app.directory, outdir.parent, env))
    if stop is not None and stop.is_set():
        return "not started: cdkcheck is stopping", False
    # One stream, in the order it was written: Maven prints its [ERROR] lines on stdout, Node on stderr.
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(app.command, shell=True, cwd=app.directory, env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        try:
            # In short waits: this runs in a worker thread, where an interrupt arrives only as `stop`.
            watching = on_assembly_written
            while proc.poll() is None:
                if watching is not None and _assembly_written(outdir):
                    _notify(watching, outdir)
                    watching = None
                if stop is not None and stop.is_set():
                    _kill_group(proc)
                    return "stopped: cdkcheck was interrupted", False
                if time.monotonic() >= deadline:
                    _kill_group(proc)
                    return (f"the app did not finish within {timeout:g} s and was stopped "
                            f"(raise synth_timeout in the config if it is just slow)\n{error_tail(out)}".rstrip(), True)
                poll = STOP_POLL_SECONDS if watching is None else ASSEMBLY_POLL_SECONDS
                try:
                    proc.wait(timeout=min(poll, max(deadline - time.monotonic(), 0.0)))
                except subprocess.TimeoutExpired:
                    pass
        except BaseException:  # Ctrl-C on the main thread: leave no orphaned synth behind
            _kill_group(proc)
            raise
        if proc.returncode != 0:
            tail = error_tail(out)
            return (f"`{app.command}` exited with code {proc.returncode}\n{tail}".rstrip(), False)
    return None


def _assembly_written(outdir: Path) -> bool:
    """The top-level manifest is complete: written after every template (and nested assembly)."""
    manifest = outdir / "manifest.json"
    if not manifest.is_file():
        return False
    try:
        return isinstance(json.loads(manifest.read_bytes()), dict)
    except (OSError, ValueError):  # still being written
        return False


def _notify(callback: Callable[..., None] | None, *args: Any) -> None:
    if callback is None:
        return
    try:
        callback(*args)
    except Exception:  # a head start for someone else must never cost the synth
        pass


def _kill_group(proc: subprocess.Popen) -> None:
    """TERM the app's whole process group, then KILL whatever is left (node children included)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=3.0)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def error_tail(stream) -> str:
    """The last lines the app printed, without terminal colour codes, each cut to a readable length."""
    stream.seek(0)
    return tail_text(stream.read().decode("utf-8", errors="replace"))


def tail_text(text: str) -> str:
    lines = []
    for line in _ANSI.sub("", text).replace("\r\n", "\n").replace("\r", "\n").splitlines():
        if not line.strip():
            continue
        if len(line) > ERROR_LINE_CHARS:
            line = f"{line[:ERROR_LINE_CHARS]}... ({len(line) - ERROR_LINE_CHARS} more characters)"
        lines.append(line.rstrip())
    return "\n".join(lines[-ERROR_TAIL_LINES:])


def synth_cache_key(app: CdkApp, context: Mapping[str, Any], extra_env: Mapping[str, str],
                    node: NodeChoice | None = None, cache_root: Path | None = None) -> str:
    """Everything that determines the assembly: sources, command, context, env, toolchain."""
    digest = hashlib.sha256()
    first_word = app.command.split()[0] if app.command.split() else ""
    if "/" in first_word and not os.path.isabs(first_word):  # .venv/bin/python: the app's own venv
        first_word = str(app.directory / first_word)
    interpreter = shutil.which(first_word, path=os.environ.get("PATH")) or first_word
    parts = {
        "format": CACHE_FORMAT,
        "command": app.command,
        "context": context,
        "env": dict(sorted(extra_env.items())),
        "interpreter": os.path.realpath(interpreter) if interpreter else "",
        # Unresolved too: every venv's bin/python links to the same base interpreter, with other packages.
        "interpreter_path": os.path.abspath(interpreter) if interpreter else "",
        "virtual_env": os.environ.get("VIRTUAL_ENV", ""),
        "node": [node.executable, node.version, node.path_prefix] if node is not None else shutil.which("node"),
    }
    digest.update(json.dumps(parts, sort_keys=True, default=str).encode())
    outputs = written_outputs(cache_root) if cache_root is not None else set()
    for rel, path in _source_files(app.directory, outputs):
        digest.update(rel.encode() + b"\0")
        try:
            with path.open("rb") as fh:
                digest.update(hashlib.file_digest(fh, "sha256").digest())
        except OSError:
            digest.update(b"<unreadable>")
    return digest.hexdigest()[:32]


def _source_files(root: Path, outputs: set[str] = frozenset()):
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in IGNORED_DIRS and not d.endswith(".egg-info")]
        for name in filenames:
            path = Path(dirpath) / name
            if name in IGNORED_FILES or (outputs and os.path.abspath(path) in outputs):
                continue
            try:
                if path.stat().st_size > MAX_HASHED_FILE_BYTES:
                    continue
            except OSError:
                continue
            found.append((path.relative_to(root).as_posix(), path))
    return sorted(found)


def record_output(cache_root: Path, path: Path) -> None:
    """A report file cdkcheck wrote: if it lies in the app directory, it is not an input of the next synth."""
    record = cache_root / OUTPUTS_RECORD
    known = sorted(written_outputs(cache_root) | {os.path.abspath(path)})
    try:
        from cdkcheck.atomic import write_atomic

        record.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(record, json.dumps(known[-200:], indent=0))
    except OSError:  # costs a resynth next time, nothing else
        pass


def written_outputs(cache_root: Path) -> set[str]:
    try:
        known = json.loads((cache_root / OUTPUTS_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {p for p in known if isinstance(p, str)} if isinstance(known, list) else set()


def _publish(work: Path, final: Path) -> None:
    """Move a finished assembly into place atomically; a concurrent run may have won the race."""
    try:
        os.rename(work, final)
        return
    except OSError:
        if (final / "manifest.json").is_file():
            return  # the other run's assembly is identical, ours is cleaned up
    # An entry without its manifest (deleted by hand, or by an older cdkcheck killed mid-prune): replace it.
    _remove_entry(final)
    try:
        os.rename(work, final)
    except OSError:
        pass


def _prune(synth_root: Path) -> None:
    entries = []
    for entry in synth_root.iterdir():
        try:
            if entry.is_dir() and "." not in entry.name:
                entries.append((entry.stat().st_mtime, entry))
        except OSError:
            continue  # removed by a concurrent run meanwhile
    for _, stale in sorted(entries, reverse=True)[CACHE_ENTRIES_KEPT:]:
        _remove_entry(stale)


def _remove_entry(entry: Path) -> None:
    """Renamed out of the cache's namespace first: an interrupted delete never leaves a half entry behind."""
    doomed = entry.with_name(f"{entry.name}.{os.getpid()}.{threading.get_ident()}.deleting")
    try:
        os.rename(entry, doomed)
    except OSError:
        return  # already gone, or another run is removing it
    shutil.rmtree(doomed, ignore_errors=True)


def _touch(entry: Path) -> None:
    """A cache hit is a use: pruning keeps the most recently used entries."""
    try:
        os.utime(entry)
    except OSError:
        pass


def _read_json_object(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ConfigError(f"not valid JSON: {exc}", file=str(path), hint="fix the JSON syntax") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc}", file=str(path), hint="check the file's permissions") from exc
    if not isinstance(data, dict):
        raise ConfigError("must contain a JSON object", file=str(path), hint=f"{path.name} holds one JSON object: {{...}}")
    return data


def default_cache_root() -> Path:
    explicit = os.environ.get("CDKCHECK_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cdkcheck"
