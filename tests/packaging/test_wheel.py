"""perso as a user gets it: `python -m build`, install the wheel into a fresh venv outside the
checkout, and run the movielens lifecycle with the installed `perso` against the emulator."""

from __future__ import annotations

import email.parser
import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from venvs import REPO, clean_env, install_wheel, make_venv, run

pytestmark = pytest.mark.slow
MAX_WHEEL_BYTES = 1_000_000   # 0.19 MB today: a jump means something that is not perso got packed


def _package_files() -> set[str]:
    """Every file perso ships: the package tree as checked out, minus bytecode."""
    root = REPO / "perso_iac"
    return {p.relative_to(REPO).as_posix() for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


def _metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        return email.parser.Parser().parsestr(zf.read(name).decode())


def test_wheel_holds_all_of_perso_and_nothing_else(dists):
    sdist, wheel = dists
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assert _package_files() <= names, f"missing from the wheel: {sorted(_package_files() - names)}"
    assert any(n.startswith("perso_iac/emulator/") for n in names)          # `perso` ships its emulator
    assert {n.split("/")[0] for n in names} == {"perso_iac", wheel.name.split("-")[0] + "-" +
                                                wheel.name.split("-")[1] + ".dist-info"}
    assert not [n for n in names if "test" in n.split("/")[0] or "/tests/" in n], "tests were packed"
    assert wheel.stat().st_size < MAX_WHEEL_BYTES

    meta = _metadata(wheel)
    assert meta["Name"] == "perso-iac" and meta["Requires-Python"] == ">=3.11"
    assert meta["Description-Content-Type"] == "text/markdown"
    with zipfile.ZipFile(wheel) as zf:
        entry = next(n for n in zf.namelist() if n.endswith("entry_points.txt"))
        assert "perso = perso_iac.cli:main" in zf.read(entry).decode()

    with tarfile.open(sdist) as tf:
        members = {m.name.split("/", 1)[1] for m in tf.getmembers() if "/" in m.name}
    assert {"pyproject.toml", "README.md"} | _package_files() <= members
    run([sys.executable, "-m", "twine", "check", "--strict", str(sdist), str(wheel)])


def test_installed_wheel_runs_the_movielens_lifecycle(dists, emulator, tmp_path):
    _, wheel = dists
    python = make_venv(tmp_path / "venv")
    install_wheel(python, wheel)
    perso = tmp_path / "venv" / "bin" / "perso"
    work = tmp_path / "movielens"                      # outside the checkout: nothing to import from
    shutil.copytree(REPO / "examples" / "movielens", work)
    env = clean_env(AWS_ENDPOINT_URL_PERSONALIZE=emulator.endpoint_url, AWS_ACCESS_KEY_ID="testing",
                    AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1",
                    PERSO_POLL_INITIAL="0.01", PERSO_POLL_MAX="0.05", NO_COLOR="1")

    def perso_run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(perso), *args], cwd=work, env=env, capture_output=True, text=True)

    where = run([str(python), "-c", "import perso_iac; print(perso_iac.__file__)"], cwd=work, env=env)
    assert where.stdout.strip().startswith(str(tmp_path / "venv")), where.stdout
    version = perso_run("--version")
    assert version.stdout.strip() == f"perso, version {_metadata(wheel)['Version']}", version

    steps = [(("--local", "validate"), 0), (("--local", "plan", "--detailed-exitcode"), 2),
             (("--local", "apply", "--auto-approve"), 0), (("--local", "plan", "--detailed-exitcode"), 0),
             (("--local", "destroy", "--auto-approve"), 0)]
    for args, expected in steps:
        result = perso_run(*args)
        assert result.returncode == expected, f"perso {' '.join(args)}: {result.stdout}\n{result.stderr}"
        if args[1] == "apply":
            assert "0 failed, 0 skipped" in result.stdout and (work / ".perso/state/movielens.json").is_file()
    assert json.loads((work / ".perso/state/movielens.json").read_text())["resources"] == []
