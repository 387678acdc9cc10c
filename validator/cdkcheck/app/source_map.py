"""Where in the user's CDK code each construct was created, so findings point at a file and line.

CDK records `aws:cdk:creationStack` metadata, but for a Python app those are
frames of the jsii JavaScript runtime, never the user's code. So for a synth
cdkcheck puts a directory holding a small `sitecustomize.py` first on the app's
PYTHONPATH (it chains to any sitecustomize already there). It waits for the
jsii runtime to be imported, then wraps `JSIIMeta.__call__`: every construct the
app's Python code creates is recorded with its construct path and the innermost
stack frame inside the app directory. At exit it writes
`<CDK_OUTDIR>/cdkcheck-sources.json`. Non-Python apps, or an interpreter run
with -S/-I, simply write no file and findings keep their template locations.

A TypeScript or JavaScript app needs none of this: aws-cdk-lib records each
resource's `aws:cdk:creationStack` (user frames, source-mapped to .ts by
ts-node/tsx) in the stack metadata, so the innermost frame in the app directory
is where the user's code made it. A construct without such a frame of its own
(one made in a library callback) takes its nearest ancestor's.

`locate_findings` then maps each finding's construct path to the nearest
recorded ancestor.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

from cdkcheck.model import Finding, SourceLocation

SOURCES_FILE = "cdkcheck-sources.json"
CREATION_STACK = "aws:cdk:creationStack"
# "new MyStack (/app/lib/stack.ts:12:5)", "at /app/bin/app.js:3:1", "file:///app/bin/app.mjs:3:1"
_FRAME = re.compile(r"\(?(?:file://)?(/[^()]*?):(\d+):\d+\)?\s*$")
_NOT_APP_CODE = ("node_modules", "cdk.out", ".venv")
FORMAT_VERSION = 1
APP_DIR_VARIABLE = "CDKCHECK_SOURCE_APP_DIR"

# Runs inside the user's app, under whatever Python 3 it uses: standard library only, no new syntax,
# and it must never break the app, so every failure is swallowed.
RECORDER_SOURCE = r'''"""Written by cdkcheck for its synth: records where the app's code creates each construct."""
import os
import sys


def _cdkcheck_install():
    app_dir = os.environ.get("CDKCHECK_SOURCE_APP_DIR")
    outdir = os.environ.get("CDK_OUTDIR")
    if not app_dir or not outdir:
        return
    app_dir = os.path.realpath(app_dir)
    prefix = app_dir.rstrip(os.sep) + os.sep
    skipped_parts = ("site-packages", "dist-packages", ".venv", "node_modules", "cdk.out")
    here = os.path.realpath(__file__)
    recorded = {}
    verdict_by_file = {}

    def in_app(filename):
        known = verdict_by_file.get(filename)
        if known is not None:
            return known
        real = os.path.realpath(filename) if filename and not filename.startswith("<") else ""
        parts = real[len(prefix):].split(os.sep) if real.startswith(prefix) else None
        relative = None
        if parts and real != here and not any(p in skipped_parts for p in parts):
            relative = "/".join(parts)
        verdict_by_file[filename] = relative or ""
        return relative or ""

    # id(construct) -> (construct, path); the construct is kept so its id is not reused.
    known_paths = {}
    library_prefixes = ("aws_cdk", "constructs", "cdk_")

    def path_of(instance, args, kwargs):
        """node.path costs two round trips to Node per construct; a library construct's path is its
        scope's path plus its id, so only scopes first seen here and the app's own classes (whose
        constructor arguments may be in any order) are asked."""
        scope = args[0] if args else kwargs.get("scope")
        ident = args[1] if len(args) > 1 else kwargs.get("id")
        standard = type(instance).__module__.startswith(library_prefixes)
        if standard and scope is not None and isinstance(ident, str) and "/" not in ident:
            known = known_paths.get(id(scope))
            if known is None or known[0] is not scope:
                known = (scope, scope.node.path)
                known_paths[id(scope)] = known
            path = known[1] + "/" + ident if known[1] else ident
        else:
            path = instance.node.path
        known_paths[id(instance)] = (instance, path)
        return path

    def record(instance, args, kwargs):
        construct_type = getattr(sys.modules.get("constructs"), "Construct", None)
        if construct_type is None or not isinstance(instance, construct_type):
            return
        frame = sys._getframe(2)
        while frame is not None:
            relative = in_app(frame.f_code.co_filename)
            if relative:
                path = path_of(instance, args, kwargs)
                if path and path not in recorded:  # "" is the App itself
                    recorded[path] = [relative, frame.f_lineno]
                return
            frame = frame.f_back

    def patch(runtime):
        meta = getattr(runtime, "JSIIMeta", None)
        if meta is None or getattr(meta, "_cdkcheck_recording", False):
            return
        original = meta.__call__

        def __call__(cls, *args, **kwargs):
            instance = original(cls, *args, **kwargs)
            try:
                record(instance, args, kwargs)
            except Exception:
                pass
            return instance

        meta.__call__ = __call__
        meta._cdkcheck_recording = True

    def write():
        if not recorded:
            return
        import json
        target = os.path.join(outdir, "cdkcheck-sources.json")
        temporary = target + ".%d.tmp" % os.getpid()
        try:
            with open(temporary, "w") as handle:
                json.dump({"version": 1, "constructs": recorded}, handle, sort_keys=True, indent=0)
            os.replace(temporary, target)
        except OSError:
            pass

    class Finder(object):
        """Wraps the loader of jsii._runtime so JSIIMeta is patched the moment it exists."""

        def find_spec(self, name, path=None, target=None):
            if name != "jsii._runtime":
                return None
            for finder in sys.meta_path:
                find = getattr(finder, "find_spec", None)
                if finder is self or find is None:
                    continue
                spec = find(name, path, target)
                if spec is not None:
                    break
            else:
                return None
            loader = spec.loader
            original_exec = getattr(loader, "exec_module", None)
            if original_exec is None:
                return None

            def exec_module(module):
                original_exec(module)
                try:
                    patch(module)
                except Exception:
                    pass

            loader.exec_module = exec_module
            return spec

    if "jsii._runtime" in sys.modules:
        patch(sys.modules["jsii._runtime"])
    else:
        sys.meta_path.insert(0, Finder())
    import atexit
    atexit.register(write)


def _cdkcheck_chain():
    """Run the sitecustomize this one shadows, as Python would have without cdkcheck."""
    here = os.path.dirname(os.path.realpath(__file__))
    own = sys.modules.pop("sitecustomize", None)
    saved = list(sys.path)
    sys.path[:] = [p for p in sys.path if os.path.realpath(p or os.curdir) != here]
    try:
        import sitecustomize  # noqa: F401  the next one on the path, if any
    except ImportError as exc:
        if getattr(exc, "name", None) != "sitecustomize":
            raise
        if own is not None:
            sys.modules["sitecustomize"] = own
    finally:
        sys.path[:] = saved


try:
    _cdkcheck_install()
except Exception:
    pass
_cdkcheck_chain()
'''


def recorder_environment(app_dir: Path, base_dir: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """Environment additions that make a Python CDK app record construct sources during its synth.

    The sitecustomize lives under `base_dir` in a directory named by its content,
    written once and shared by every synth (so it never enters an assembly).
    """
    digest = hashlib.sha256(RECORDER_SOURCE.encode()).hexdigest()[:16]
    site_dir = Path(base_dir) / f".source-recorder-{digest}"
    target = site_dir / "sitecustomize.py"
    if not target.is_file():
        from cdkcheck.atomic import write_atomic

        write_atomic(target, RECORDER_SOURCE)
    existing = environ.get("PYTHONPATH")
    return {
        "PYTHONPATH": f"{site_dir}{os.pathsep}{existing}" if existing else str(site_dir),
        APP_DIR_VARIABLE: str(Path(app_dir).resolve()),
    }


def read_source_map(assembly_dir: Path) -> dict[str, tuple[str, int]]:
    """Construct path -> (file relative to the app directory, line); empty when the synth recorded nothing."""
    try:
        data = json.loads((Path(assembly_dir) / SOURCES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    constructs = data.get("constructs") if isinstance(data, dict) else None
    if not isinstance(constructs, dict):
        return {}
    found = {}
    for path, where in constructs.items():
        if (isinstance(path, str) and isinstance(where, list) and len(where) == 2
                and isinstance(where[0], str) and isinstance(where[1], int)):
            found[path.strip("/")] = (where[0], where[1])
    return found


def source_for(path: str | None, sources: Mapping[str, tuple[str, int]]) -> tuple[str, int] | None:
    """The recorded location of the construct or its nearest recorded ancestor."""
    if not path or not sources:
        return None
    parts = path.strip("/").split("/")
    for end in range(len(parts), 0, -1):
        hit = sources.get("/".join(parts[:end]))
        if hit is not None:
            return hit
    return None


def locate_findings(findings: Iterable[Finding], assembly_dir: Path, app_dir: Path) -> list[Finding]:
    """Point findings at the user's code where the synth recorded it; others keep their template location.

    A stack-level finding (no construct path) points at the line that created its stack.
    Recorded files are relative to `app_dir`; one that is not there (an assembly
    synthesized from another checkout) is not pointed at.
    """
    recorded = read_source_map(assembly_dir) or creation_stack_sources(assembly_dir, app_dir)
    exists = {file: (Path(app_dir) / file).is_file() for file in {where[0] for where in recorded.values()}}
    sources = {path: where for path, where in recorded.items() if exists[where[0]]}
    located = []
    for f in findings:
        if sources and (f.location is None or f.location.kind != "source"):
            hit = source_for(f.construct_path or f.stack or None, sources)
            if hit is not None:
                f = replace(f, location=SourceLocation(file=hit[0], line=hit[1], kind="source"))
        located.append(f)
    return located


def creation_stack_sources(assembly_dir: Path, app_dir: Path) -> dict[str, tuple[str, int]]:
    """Construct path -> (file relative to the app, line) from CDK's creation stacks (TypeScript/JavaScript apps)."""
    root = os.path.realpath(app_dir)
    found: dict[str, tuple[str, int]] = {}
    for path, frames in _creation_stacks(Path(assembly_dir), set()):
        where = _app_frame(frames, root)
        if where is None:
            continue
        parts = path.strip("/").split("/")
        for end in range(len(parts), 0, -1):  # ancestors made in the same user line (a Vpc for its subnets)
            found.setdefault("/".join(parts[:end]), where)
    return found


def _creation_stacks(directory: Path, seen: set[str]):
    """(construct path, frames) from every stack of an assembly and its nested assemblies (Stages)."""
    real = os.path.realpath(directory)
    if real in seen:
        return
    seen.add(real)
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    for artifact in (artifacts or {}).values() if isinstance(artifacts, dict) else ():
        if not isinstance(artifact, dict):
            continue
        properties = artifact.get("properties") if isinstance(artifact.get("properties"), dict) else {}
        if artifact.get("type") == "cdk:cloud-assembly" and isinstance(properties.get("directoryName"), str):
            yield from _creation_stacks(directory / properties["directoryName"], seen)
            continue
        metadata = dict(artifact.get("metadata") or {}) if isinstance(artifact.get("metadata"), dict) else {}
        extra = artifact.get("additionalMetadataFile")
        if isinstance(extra, str):
            try:
                more = json.loads((directory / extra).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                more = {}
            for key, entries in (more.items() if isinstance(more, dict) else ()):
                metadata[key] = [*metadata.get(key, []), *(entries if isinstance(entries, list) else [])]
        for key, entries in metadata.items():
            for entry in entries if isinstance(entries, list) else ():
                if isinstance(entry, dict) and entry.get("type") == CREATION_STACK \
                        and isinstance(entry.get("data"), list):
                    yield key, entry["data"]


def _app_frame(frames: list, root: str) -> tuple[str, int] | None:
    """The innermost frame in the app's own code (not its node_modules)."""
    prefix = root.rstrip(os.sep) + os.sep
    for frame in frames:
        match = _FRAME.search(frame) if isinstance(frame, str) else None
        if match is None:
            continue
        file = _realpath(match.group(1))
        if not file.startswith(prefix):
            continue
        relative = file[len(prefix):]
        if any(part in _NOT_APP_CODE for part in relative.split(os.sep)):
            continue
        return relative.replace(os.sep, "/"), int(match.group(2))
    return None


@lru_cache(maxsize=4096)
def _realpath(path: str) -> str:
    return os.path.realpath(path)


_PYTHON_FRAME = re.compile(r'File "([^"]+)", line (\d+)')
_JS_FRAME = re.compile(r"(?:\(|\bat |^)(?:file://)?(/[^()\s]+):(\d+):\d+\)?", re.MULTILINE)


def failure_location(text: str | None, app_dir: Path) -> tuple[str, int] | None:
    """The app's own line a failed synth stopped at: the innermost frame in the app directory of a Node
    stack trace (listed first) or a Python traceback (listed last)."""
    if not text:
        return None
    root = _realpath(str(Path(app_dir).absolute()))
    python = [m for m in _PYTHON_FRAME.finditer(text)]
    for match in reversed(python):
        where = _app_frame([f"({match.group(1)}:{match.group(2)}:0)"], root)
        if where:
            return where
    for match in _JS_FRAME.finditer(text):
        where = _app_frame([f"({match.group(1)}:{match.group(2)}:0)"], root)
        if where:
            return where
    return None
