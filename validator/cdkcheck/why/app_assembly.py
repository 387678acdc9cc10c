"""The app's cloud assembly for `why`: --assembly as given, or the app synthesized as `check` would.

The synth uses the environment's context and variables and the same cache as `check`, so the
checks `why` re-runs read the very assembly `check` reads.
"""

from __future__ import annotations

from pathlib import Path

from cdkcheck.config import Config, EnvironmentConfig
from cdkcheck.model import Assembly


def app_assembly(*, app_dir: Path, assembly_dir: Path | None, config: Config, environment: EnvironmentConfig,
                 use_cache: bool, synth_timeout: float | None, progress) -> tuple[Assembly | None, str]:
    """The assembly and how it was obtained; (None, why not) when the app cannot be synthesized."""
    from cdkcheck.app.assembly import load_assembly

    if assembly_dir is not None:
        progress(f"reading cloud assembly {assembly_dir}")
        return load_assembly(assembly_dir), f"--assembly {assembly_dir}"
    if not (Path(app_dir) / "cdk.json").is_file():
        return None, f"no CDK app in {app_dir} (no cdk.json)"
    from cdkcheck.app.interpreter import choose_interpreter
    from cdkcheck.app.synth import default_cache_root, read_cdk_app, synth_environment, synthesize

    cache_root = config.cache_dir or default_cache_root()
    app, _ = choose_interpreter(read_cdk_app(app_dir), cache_dir=cache_root if use_cache else None)
    progress(f"synthesizing {app.directory}")
    outcome = synthesize(
        app,
        extra_context=environment.context,
        extra_env=synth_environment(environment.account, environment.region, environment.app_env),
        cache_root=cache_root,
        timeout=synth_timeout or environment.synth_timeout,
        use_cache=use_cache,
    )
    if outcome.assembly_dir is None:
        return None, f"the app in {app_dir} failed to synthesize: {(outcome.failure or '').strip()[:300]}"
    return load_assembly(outcome.assembly_dir), f"the app in {app_dir}, synthesized"


def find_stack(assembly: Assembly | None, name: str):
    """The top-level stack deployed under that name (or with that display name or artifact id)."""
    if assembly is None:
        return None
    top = [s for s in assembly.stacks if not s.is_nested]
    for key in ("stack_name", "display_name", "artifact_id"):
        hits = [s for s in top if getattr(s, key) == name]
        if hits:
            return hits[0]
    return None
