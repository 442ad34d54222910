"""A wheel of the running grader, to install it elsewhere at the same version."""
from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

from grader.errors import UsageError
from grader.execute.launcher import PROJECT

DIST = "optigrade"
#: Files of an installation that are not part of the wheel it came from.
INSTALL_ONLY = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")
#: What a checkout holds besides its source: environments, builds, outputs.
NOT_SOURCE = (".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
              "graded", "test-artifacts", ".hypothesis")


def build(folder: Path) -> Path:
    """A wheel in ``folder``: built from the source checkout this grader runs
    from, or else repacked from the installed files (no source needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    if PROJECT is not None:
        return _from_source(PROJECT, folder)
    return _repack(metadata.distribution(DIST), folder)


def _from_source(project: Path, folder: Path) -> Path:
    """Built from a copy: setuptools builds in the source tree, and a file left in
    its build/ folder by an earlier build would end up in the wheel."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source"
        shutil.copytree(project, source, symlinks=True, ignore=shutil.ignore_patterns(*NOT_SOURCE))
        run = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                              str(Path(tmp) / "wheel"), str(source)], capture_output=True, text=True)
        made = sorted((Path(tmp) / "wheel").glob(f"{DIST}-*.whl"))
        if run.returncode != 0 or len(made) != 1:
            raise UsageError(f"could not build a wheel of {project}: {run.stderr.strip()[-500:]}")
        return Path(shutil.copy(made[0], folder))


def _repack(dist, folder: Path) -> Path:
    base = Path(dist.locate_file(""))
    files = [f for f in dist.files or [] if _shipped(f)]
    wheel = folder / f"{DIST}-{dist.version}-py3-none-any.whl"
    record, info = [], None
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as z:
        for f in files:
            data = (base / f).read_bytes()
            z.writestr(f.as_posix(), data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{f.as_posix()},sha256={digest},{len(data)}")
            if f.parts[0].endswith(".dist-info"):
                info = f.parts[0]
        if info is None:
            raise UsageError(f"the installed {DIST} has no metadata to build a wheel from")
        record.append(f"{info}/RECORD,,")
        z.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return wheel


def _shipped(f) -> bool:
    parts = f.parts
    return (".." not in parts and "__pycache__" not in parts and f.suffix != ".pyc"
            and not (parts[0].endswith(".dist-info") and f.name in INSTALL_ONLY))
