"""Execute the tutorial notebooks top to bottom with nbclient (``make tutorials``).

    .venv/bin/python scripts/run_tutorials.py

runs ``tutorials/01_batching.ipynb`` and ``tutorials/02_optimizers.ipynb``, each
in a fresh kernel whose working directory is ``tutorials/``. The notebooks
write their figures to ``tutorials/figures/`` (the files the README shows), and
the executed copies, outputs included, go to ``tutorials/executed/``
(git-ignored). The notebooks themselves are stored without outputs and are
left untouched. ``tests/test_tutorials.py`` uses ``execute`` to run the same
notebooks in a scratch folder.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
import zmq
from ipykernel.kernelspec import get_kernel_dict
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "tutorials"
NOTEBOOKS = ("01_batching.ipynb", "02_optimizers.ipynb")


class ThisPythonKernel(KernelManager):
    """An IPython kernel started by this very interpreter.

    Looking a kernel up by name ("python3") takes the first kernelspec on the
    Jupyter path, and a user's own ``~/.local/share/jupyter/kernels/python3``
    comes before the venv's. That one may start another Python, without the
    project installed. ipykernel's own spec for the running interpreter
    (``sys.executable``, plus what the installed ipykernel declares, such as
    transport encryption) means the kernel always has this venv's packages,
    whatever else the machine has installed.

    Where jupyter_client and pyzmq support it, the kernel's local TCP traffic
    is encrypted (CurveZMQ), which also keeps ipykernel from warning that it
    is not.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.has_trait("transport_encryption") and zmq.has("curve"):
            self.transport_encryption = "auto"   # used when the kernelspec declares support

    @property
    def kernel_spec(self) -> KernelSpec:
        return KernelSpec(**get_kernel_dict())


def execute(notebook: Path, workdir: Path, timeout: int = 120, env: dict | None = None):
    """Run ``notebook`` top to bottom with ``workdir`` as the kernel's working directory.

    Returns the executed notebook (the file on disk is not changed). Raises
    ``nbclient.exceptions.CellExecutionError`` at the first failing cell.
    ``env`` replaces the kernel's environment (e.g. to set MPLBACKEND=Agg).
    """
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            kernel_manager_class=ThisPythonKernel,
                            resources={"metadata": {"path": str(workdir)}})
    client.execute(**({"env": env} if env is not None else {}))
    return nb


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=TUTORIALS / "executed",
                        help="folder for the executed copies (default: tutorials/executed)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    total = 0.0
    for name in NOTEBOOKS:
        start = time.perf_counter()
        nb = execute(TUTORIALS / name, TUTORIALS)
        nbformat.write(nb, args.out / name)
        seconds = time.perf_counter() - start
        total += seconds
        print(f"{name}: executed in {seconds:.1f} s -> {args.out / name}")
    figures = sorted(p.name for p in (TUTORIALS / "figures").iterdir())
    print(f"both in {total:.1f} s; figures in {TUTORIALS / 'figures'}: {', '.join(figures)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
