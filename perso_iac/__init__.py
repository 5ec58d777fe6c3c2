"""perso: infrastructure as code for Amazon Personalize.

The public API, for scripts and Airflow tasks that want perso without its CLI, with the same
guarantees: the state lock, the stale-plan check, name-conflict refusal, a state kept on disk
when the backend fails mid-apply. Each function is one command's sequence (see perso_iac.engine).

    spec = load_spec("perso.yaml", variables={"env": "prod"})
    settings = AwsSettings(region="eu-west-1")
    ws = Workspace(spec=spec, client=make_client("personalize", settings),
                   backend=make_backend(spec.backend, None, stack=spec.stack, spec_dir=spec.path.parent,
                                        settings=settings))
    planned = plan_changes(ws)                         # .plan: pure data, see perso_iac.plan
    applied = apply_changes(ws)                        # lock, refresh, plan, apply
    apply_expected(ws, read_plan_file("reviewed.json"), source="reviewed.json")  # merge queues
    apply_saved_plan(ws_of_saved, read_plan_file("plan.json"), source="plan.json", current_spec=spec)
    report = detect_drift(ws)                          # .exit_code: 0 in sync, 2 drift
"""

from typing import TYPE_CHECKING, Any

# Where each public name lives. Loaded on first use (PEP 562), so that importing any perso module,
# the CLI's `--help` included, does not pay for boto3 and the spec loader.
_EXPORTS = {
    "AwsSettings": "aws", "make_client": "aws",
    "Applied": "engine", "Refreshed": "engine", "Workspace": "engine", "apply_changes": "engine",
    "apply_expected": "engine",
    "apply_plan": "engine", "apply_saved_plan": "engine", "destroy_stack": "engine", "detect_drift": "engine",
    "import_discovered_resources": "engine", "import_into_state": "engine", "plan_changes": "engine",
    "refresh_and_plan": "engine",
    "read_plan_file": "planfile", "load_spec": "spec.loader", "make_backend": "state.factory",
}

__all__ = [
    "Applied", "AwsSettings", "Refreshed", "Workspace", "__version__", "apply_changes", "apply_expected", "apply_plan",
    "apply_saved_plan", "destroy_stack", "detect_drift", "import_discovered_resources", "import_into_state", "load_spec",
    "make_backend", "make_client", "plan_changes", "read_plan_file", "refresh_and_plan",
]


def _version() -> str:
    """One source of truth: the version in pyproject.toml, as installed. importlib.metadata costs
    ~40 ms of imports (email, zipfile), so it loads on first use of `__version__`, not at start-up."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("perso-iac")
    except PackageNotFoundError:  # a bare checkout on PYTHONPATH, never installed
        return "0.0.0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        globals()[name] = value = _version()
        return value
    if name not in _EXPORTS:
        raise AttributeError(f"module 'perso_iac' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from .aws import AwsSettings, make_client
    from .engine import (
        Applied,
        Refreshed,
        Workspace,
        apply_changes,
        apply_expected,
        apply_plan,
        apply_saved_plan,
        destroy_stack,
        detect_drift,
        import_discovered_resources,
        import_into_state,
        plan_changes,
        refresh_and_plan,
    )
    from .planfile import read_plan_file
    from .spec.loader import load_spec
    from .state.factory import make_backend
