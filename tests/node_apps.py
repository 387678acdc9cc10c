"""Installs a Node fixture app's packages (`npm ci` from the registry), once per package-lock.json.

node_modules stays in the fixture directory (git-ignored) with a stamp naming the lock file's hash,
so later runs reuse it; a lock held across processes keeps xdist workers from installing at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

APPS = Path(__file__).resolve().parent.parent / "fixtures" / "apps"
STAMP = ".cdkcheck-test-installed"


def installed_node_app(name: str) -> Path:
    app = APPS / name
    lock = app / "package-lock.json"
    wanted = hashlib.sha256(lock.read_bytes()).hexdigest()
    stamp = app / "node_modules" / STAMP
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: the Node fixture apps need Node.js 20+ with npm")
    with open(app / ".npm-install.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if stamp.is_file() and stamp.read_text() == wanted:
            return app
        proc = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=app,
                              capture_output=True, text=True, timeout=900, env={**os.environ, "CI": "1"})
        assert proc.returncode == 0, f"npm ci in {app} failed:\n{proc.stdout}\n{proc.stderr}"
        stamp.write_text(wanted)
    return app
