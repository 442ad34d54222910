"""A non-editable install of this project in a fresh virtual environment.

The wheel is built from the working tree and installed with ``--no-deps``;
the dependencies come from the running interpreter's site-packages through a
``.pth`` line, so no download is needed. That line adds the folder only: the
``.pth`` files inside it (this checkout's editable install) are not processed.
"""
from __future__ import annotations

import os
import site
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_wheel(out: Path) -> Path:
    from grader.deploy import wheel

    built = wheel.build(out)
    assert sorted(out.glob("optigrade-*.whl")) == [built]
    return built


def fresh_venv(where: Path, wheel: Path, python: str | None = None) -> Path:
    """A new venv of ``python`` (default: this one) with ``wheel`` installed;
    returns its bin folder."""
    if python is None:
        venv.EnvBuilder(with_pip=False).create(where)
    else:
        subprocess.run([python, "-m", "venv", "--without-pip", str(where)], check=True)
    python = where / "bin" / "python"
    packages = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                              check=True, capture_output=True, text=True).stdout.strip()
    deps = [p for p in site.getsitepackages() if Path(p).is_dir()]
    Path(packages, "dependencies.pth").write_text("\n".join(deps) + "\n")
    # --ignore-installed: the editable install in those folders must not count as this one.
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--ignore-installed",
                    "-q", str(wheel)], check=True, capture_output=True)
    return where / "bin"


def clean_env(bin_folder: Path) -> dict:
    """An environment in which nothing of this checkout is importable."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{bin_folder}{os.pathsep}{env.get('PATH', '')}"
    return env
