"""Build perso's distributions and install them into virtualenvs outside the checkout.

Downloads come from PyPI only, once: the runtime dependencies go to a wheelhouse and Airflow to
its own venv, both cached under PERSO_TEST_CACHE (default: <tmp>/perso-test-cache) and reused by
later runs, so a run after the first installs offline.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "-q"]


def cache_dir() -> Path:
    path = Path(os.environ.get("PERSO_TEST_CACHE") or Path(tempfile.gettempdir()) / "perso-test-cache")
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Serialise pytest-xdist workers and concurrent runs that fill the same cache entry."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run a command, failing with its output (not just its exit code) when it fails."""
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def build_dists(out: Path) -> tuple[Path, Path]:
    """`python -m build` (sdist, then the wheel from the sdist) of the checkout, once per `out`."""
    with file_lock(out.with_suffix(".lock")):
        if not (out / "done").exists():
            run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(REPO)])
            (out / "done").touch()
    return next(out.glob("*.tar.gz")), next(out.glob("*.whl"))


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without the checkout on PYTHONPATH, so only what is installed is imported."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(extra)
    return env


def make_venv(venv: Path) -> Path:
    """A venv without pip of its own (the test runner's pip installs into it): fast to create."""
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    return venv / "bin" / "python"


def install_wheel(python: Path, wheel: Path, *, no_deps: bool = False) -> None:
    """Install the wheel and its dependencies, from PyPI the first time and a wheelhouse after."""
    target = [*PIP, "--python", str(python), "install"]
    if no_deps:
        run([*target, "--no-deps", "--force-reinstall", str(wheel)], env=clean_env())
        return
    house = cache_dir() / "wheelhouse"
    with file_lock(cache_dir() / "wheelhouse.lock"):
        offline = [*target, "--no-index", "--find-links", str(house), str(wheel)]
        if subprocess.run(offline, capture_output=True, env=clean_env()).returncode == 0:
            return
        run([*PIP, "download", "--dest", str(house), str(wheel)], env=clean_env())
        run(offline, env=clean_env())


def requirements_key(requirements: list[str]) -> str:
    return hashlib.sha256("\n".join(requirements).encode()).hexdigest()[:10]
