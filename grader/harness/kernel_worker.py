"""``grader grade --kernel``: the worker protocol, with cells run in a real Jupyter kernel.

For notebooks that need full kernel behaviour. Speaks exactly the protocol
of ``worker`` (same frames, same events), inside the same sandbox and
limits, but executes the cells through nbclient in an ipykernel started in
the sandbox, then runs the same programs inside that kernel, passing them
and their raw results through files in the private working directory.
Verdicts are still computed by the grader.

Sealed inputs are made here, before the kernel starts; the kernel maps them
read-only through /proc/<this pid>/fd/<n>. A remote grad_fn in the kernel
asks through a socket in the working directory; this process relays each
request to the grader and its answer back.
"""
from __future__ import annotations

import os
import re
import socket
import threading
import time

from . import extension, programs, wire, worker
from .cells import out_of_memory

SETUP = """
import sys as _g_sys
_g_sys.path.insert(0, {path!r})
from harness import cells as _g_cells, kernel_worker as _g_kernel
_g_cells.neutralise(get_ipython())
_g_kernel.attach({sealed!r}, {code!r})
del _g_sys, _g_cells, _g_kernel
"""
RUN = """
from harness import kernel_worker as _g_kernel
_g_kernel.run_programs({src!r}, {dst!r}, {relay!r}, globals())
del _g_kernel
"""
RELAY = "grad.sock"
SEALED = None  # in the kernel: the sealed inputs' memory


def attach(sealed, code="") -> None:
    """In the kernel, before the cells: map the sealed inputs read-only and load
    the assignment's own code (its harness.py)."""
    global SEALED
    if sealed is not None:
        SEALED = programs.attach(*sealed)
    extension.install(extension.load(code, "assignment harness.py"))


def run_programs(src, dst, relay, namespace) -> None:
    """In the kernel: run the cases of one check (``src``: the task ``_run_check``
    wrote), results and what failed to ``dst``."""
    task = wire.decode(open(src, "rb").read())
    for _, program in task["cases"]:
        program["args"] = [programs.view(SEALED, *a["$sealed"]) if isinstance(a, dict)
                           and "$sealed" in a else a for a in program.get("args", [])]
    worker.install_alarm()
    failed, results = task["failed"], {}
    with socket.socket(socket.AF_UNIX) as conn:
        conn.connect(relay)
        stream = conn.makefile("rb")
        for k, program in task["cases"]:
            results[k] = worker.run_case(program, namespace, task["job"], failed,
                                          _asker(k, conn, stream))
    open(dst, "wb").write(wire.encode({"results": results, "failed": failed}))


def _asker(k, conn, stream):
    def ask(theta, X, y):
        return worker.round_trip(
            lambda: conn.sendall(wire.encode({"case": k, "theta": theta, "X": X, "y": y})),
            lambda: wire.decode(wire.read_frame(stream, worker.FRAME_LIMIT)))
    return ask


def main() -> None:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    proto_in, send = worker.protocol()
    send = _locked(send)
    job = wire.decode(wire.read_frame(proto_in, worker.FRAME_LIMIT))
    plan = worker.programs_of(job, proto_in)
    sealed = _seal(plan)
    relay = _relay(proto_in, send)
    worker.apply_limits(job)
    worker.place_files(job.get("files") or {})
    given = [(i, s) for i, s in enumerate(job["cells"]) if s is not None]  # None: not to run
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for _, s in given])
    client = NotebookClient(nb, timeout=None, kernel_name="python3", allow_errors=True,
                            record_timing=False)
    here = os.path.dirname(os.path.dirname(os.path.abspath(worker.__file__)))
    with client.setup_kernel():
        _end_with_kernel(client)
        try:
            _run_source(client, SETUP.format(path=here, sealed=sealed,
                                             code=extension.CURRENT.source), 30)
            cells = []
            for position, (cell, (index, _)) in enumerate(zip(nb.cells, given)):
                send({"event": "cell", "index": index})
                client.execute_cell(cell, position)
                error = next((o for o in cell.outputs if o.output_type == "error"), None)
                if error is not None and error.ename == "MemoryError":
                    out_of_memory(send, f"cell {index + 1}")
                cells.append({"index": index, "error": _describe(error, cell.source)})
            send({"event": "executed", "cells": cells, "output": ""})
            limit = job.get("result_limit", worker.FRAME_LIMIT)
            failed: dict = {}  # carried from check to check
            for check, cases in worker.by_check(plan, job.get("resume")):
                results = _run_check(client, cases, job, failed, relay)
                send(worker.results_frame(check, results, limit))
            send({"event": "done"})
        except (DeadKernelError, CellTimeoutError, TimeoutError, RuntimeError):
            pass  # the kernel died or hung: end abruptly, as the plain worker would
    os._exit(0)


def _end_with_kernel(client) -> None:
    """End this worker as soon as its kernel dies (a memory cap, ``os._exit`` in a
    graded call), so that the grader goes on in a fresh worker at once instead
    of after the check's whole time limit."""
    process = getattr(getattr(client.km, "provisioner", None), "process", None)
    if process is None:
        return

    def watch():
        while process.poll() is None:
            time.sleep(0.2)
        os._exit(0)
    threading.Thread(target=watch, daemon=True).start()


def _locked(send):
    """``send`` for two threads: the main one and the relay."""
    lock = threading.Lock()

    def locked(message):
        with lock:
            send(message)
    return locked


def _seal(plan):
    """Seal the inputs here; the programs keep references into the memfd,
    which stays open for the kernel to map: (its /proc path, size) or None."""
    packed = programs.pack(plan)
    if packed is None:
        return None
    fd, size, places = packed
    for args, i, offset, dtype, shape in places:
        args[i] = {"$sealed": [offset, dtype, shape]}
    return f"/proc/{os.getpid()}/fd/{fd}", size


def _relay(proto_in, send) -> str:
    """Relay the kernel's grad_fn requests to the grader and its answers back."""
    server = socket.socket(socket.AF_UNIX)
    path = os.path.abspath(RELAY)
    server.bind(path)
    server.listen(1)

    def serve():
        while True:
            conn, _ = server.accept()
            with conn, conn.makefile("rb") as stream:
                _forward(stream, conn, proto_in, send)
    threading.Thread(target=serve, daemon=True).start()
    return path


def _forward(stream, conn, proto_in, send) -> None:
    while True:
        try:
            request = wire.decode(wire.read_frame(stream, worker.FRAME_LIMIT))
        except (EOFError, OSError, wire.WireError):
            return
        if not isinstance(request, dict):
            return
        send({"event": "grad", **{key: request.get(key) for key in ("case", "theta", "X", "y")}})
        conn.sendall(wire.read_frame(proto_in, worker.FRAME_LIMIT))


def _run_check(client, cases, job, failed, relay):
    """The check's results from the kernel; ``failed`` (see ``worker.run_case``)
    is updated with what the kernel learnt."""
    src, dst = os.path.abspath("programs.bin"), os.path.abspath("results.bin")
    timeout = job.get("call_timeout", 10.0)
    task = {"cases": [[k, p] for k, p in cases], "failed": failed,
            "job": {"call_timeout": timeout, "memory": job.get("memory")}}
    with open(src, "wb") as f:
        f.write(wire.encode(task))
    if os.path.exists(dst):
        os.remove(dst)
    _run_source(client, RUN.format(src=src, dst=dst, relay=relay), timeout * len(cases) + 5)
    try:
        with open(dst, "rb") as f:
            answer = wire.decode(f.read())
        failed.update(answer["failed"])
        return {int(k): r for k, r in answer["results"].items()}
    except (OSError, wire.WireError, KeyError, TypeError, AttributeError) as exc:
        error = {"ok": False, "error": f"no result from the kernel: {exc}"}
        return {k: error for k, _ in cases}


def _run_source(client, source, timeout):
    """Run the grader's own code in the kernel, outside the notebook's cells.

    (Through the kernel client: an extra ``execute_cell`` would disturb
    nbclient's bookkeeping of the notebook's cells.)
    """
    from nbclient.util import run_sync
    reply = run_sync(client.kc.execute_interactive)(source, store_history=False, timeout=timeout,
                                                      output_hook=lambda msg: None)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"grader code failed in the kernel: {reply['content'].get('evalue')}")


def _describe(error, source):
    """The kernel's error output in the plain worker's form."""
    if error is None:
        return None
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line) for t in error.traceback for line in t.splitlines()]
    where = [f"line {m.group(1)}: {m.group(2).strip()}" for m in
             (re.match(r"-+> (\d+) (.*)", line) for line in lines) if m][-3:]
    return {"type": error.ename, "message": f"{error.ename}: {error.evalue}"[:500], "where": where}


if __name__ == "__main__":
    main()
