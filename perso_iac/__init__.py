"""perso: infrastructure as code for Amazon Personalize.

The small public API, for scripts and Airflow tasks that want perso without its CLI:

    spec = load_spec("perso.yaml", variables={"env": "prod"})
    ws = Workspace(spec=spec, backend=make_backend(...), client=boto3.client("personalize"))
    refreshed = refresh_and_plan(ws)          # Plan: pure data, see perso_iac.plan
    apply_plan(ws, refreshed.plan, refreshed.state)
"""

from importlib.metadata import PackageNotFoundError, version

try:  # one source of truth: the version in pyproject.toml, as installed
    __version__ = version("perso-iac")
except PackageNotFoundError:  # a bare checkout on PYTHONPATH, never installed
    __version__ = "0.0.0+unknown"

from .engine import Workspace, apply_plan, refresh_and_plan  # noqa: E402
from .spec.loader import load_spec  # noqa: E402
from .state.factory import make_backend  # noqa: E402

__all__ = ["Workspace", "apply_plan", "load_spec", "make_backend", "refresh_and_plan", "__version__"]
