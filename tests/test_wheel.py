"""The package works installed: the book's assets travel in the wheel, and `prismodell build`
runs from a fresh virtual environment with no checkout around it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from prismodell import assets

from .conftest import MINI, REPO


def test_a_checkout_uses_its_own_assets():
    assert assets.is_checkout(REPO)
    assert assets.asset_dir() == REPO and assets.repository_dir() == REPO


def test_without_a_checkout_the_packaged_assets_are_used(monkeypatch, tmp_path):
    monkeypatch.setattr(assets, "CHECKOUT_DIR", tmp_path)  # e.g. site-packages/../..
    assert assets.asset_dir() == assets.PACKAGE_DIR / assets.PACKAGED
    assert assets.repository_dir() is None


def test_a_folder_with_notebooks_alone_is_no_checkout(tmp_path):
    (tmp_path / "notebooks").mkdir()
    assert not assets.is_checkout(tmp_path)


def _run(args: list, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done


@pytest.mark.slow
def test_build_from_an_installed_wheel(tmp_path):
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv saknas (scripts/setup.sh installerar det)")
    # nothing of this checkout's environment may leak into the installed one
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    _run([uv, "build", "--wheel", "-o", tmp_path / "dist"], REPO, env)
    (wheel,) = (tmp_path / "dist").glob("prismodell-*.whl")
    requirements = tmp_path / "requirements.txt"
    _run(
        [uv, "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project", "-q",
         "-o", requirements],
        REPO,
        env,
    )
    venv = tmp_path / "venv"
    _run([uv, "venv", "-q", "--python", sys.executable, venv], tmp_path, env)
    python = venv / "bin" / "python"
    # no --compile-bytecode: compiling every dependency costs more processor time than
    # compiling what the build imports, as it imports it
    _run(
        [uv, "pip", "install", "-q", "--python", python, "-r", requirements, wheel],
        tmp_path,
        env,
    )
    work = tmp_path / "work"
    # the small fixture with every optional input (extracts, reorganisation, call-offs …):
    # what is tested is the installed package, not the size of the data
    shutil.copytree(MINI.parent / "mini_full", work / "2023")
    where = _run(
        [python, "-c", "import prismodell.pipeline as p; print(p.ASSET_DIR); print(p.REPO_DIR)"],
        work,
        env,
    ).stdout.split()
    assert Path(where[0]).resolve().is_relative_to(venv.resolve())  # the wheel's copy
    assert Path(where[0]).parts[-2:] == ("prismodell", "_assets") and where[1] == "None"
    _run([venv / "bin" / "prismodell", "build", "--data", "2023", "--out", "bygg", "--no-pdf"],
         work, env)
    html = work / "bygg" / "html"
    assert (html / "index.html").is_file() and (html / "sammanfattning.html").is_file()
    assert (html / "_static" / "prismodell.css").is_file()  # the book's assets came along
    page = (work / "bygg" / "source" / "reproducerbarhet.md").read_text(encoding="utf-8")
    assert "installerat paket" in page
