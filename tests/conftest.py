"""Shared test set-up: the venv first on PATH (as an activated venv would be), one synth cache per run."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
APPS = REPO / "fixtures" / "apps"
# Test helpers (timeouts.py) importable from every test directory.
sys.path.insert(0, str(Path(__file__).resolve().parent))

# The fixture apps' cdk.json says `python3 app.py`: it must be this venv's python, with aws-cdk-lib.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
# Never reach a real account from the suite, whatever the developer's shell holds.
for _name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
              "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(_name, None)
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
os.environ.pop("NO_COLOR", None)
os.environ.pop("FORCE_COLOR", None)


def pytest_addoption(parser):
    parser.addoption("--run-aws", action="store_true", default=False,
                     help="run tests marked aws against the account in the current AWS credentials")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-aws"):
        return
    skip_aws = pytest.mark.skip(reason="talks to a real AWS account: opt in with --run-aws")
    for item in items:
        if "aws" in item.keywords:
            item.add_marker(skip_aws)


@pytest.fixture(scope="session")
def synth_cache(tmp_path_factory) -> Path:
    """One synth cache for the whole run, shared by xdist workers (the cache is safe for concurrent use)."""
    shared = tmp_path_factory.getbasetemp().parent / "cdkcheck-synth-cache"
    shared.mkdir(exist_ok=True)
    return shared


@pytest.fixture(autouse=True)
def _cache_env(synth_cache, monkeypatch):
    monkeypatch.setenv("CDKCHECK_CACHE_DIR", str(synth_cache))


@pytest.fixture(scope="session")
def apps() -> Path:
    return APPS
