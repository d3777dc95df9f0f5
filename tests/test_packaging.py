"""The wheel holds the code and every data file the pipelines load (models/, the page's static files).

The wheel is built from a copy of the sources in a temporary folder (a build in the clone would
leave build/ behind, whose stale files a later build would package), without build isolation, so
no network is needed: about 5-10 s.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# folder in the sources -> its package in the wheel (pyproject.toml's package-dir)
PACKAGE_DIRS = {"trialex": "trialex", "pipelines": "trialex/pipelines", "service": "trialex/service",
                "models": "trialex/models"}


def _files(folder: str) -> set[str]:
    base = ROOT / folder
    return {f"{PACKAGE_DIRS[folder]}/{p.relative_to(base).as_posix()}" for p in base.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}


def test_the_wheel_holds_every_module_and_data_file_without_warnings(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for folder in PACKAGE_DIRS:
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation",
                           "--disable-pip-version-check", "-w", str(tmp_path / "dist"), str(src)],
                          capture_output=True, text=True, timeout=120)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    # setuptools warns of a data folder missing from `packages` ("would be ignored")
    assert "would be ignored" not in log and "absent from the `packages`" not in log, log[-3000:]
    (wheel,) = (tmp_path / "dist").glob("trialex-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = set().union(*(_files(folder) for folder in PACKAGE_DIRS))
    assert expected - names == set()
    assert {"trialex/formats/label_studio.py", "trialex/models/label_studio/config.xml",
            "trialex/service/static/index.html"} <= names
    assert {n for n in names if n.startswith("trialex/models/decisions/") and n.endswith(".json")}
    assert {n for n in names if n.startswith("trialex/models/rules/") and n.count("/") == 4 and n.endswith(".json")}
    assert len({n for n in names if n.startswith("trialex/models/lexicons/") and n.endswith(".tsv")}) >= 8
    assert not {n for n in names if "__pycache__" in n or n.startswith(("tests/", "annotations/"))}
