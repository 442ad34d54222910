"""The seccomp filter: its program decides as specified for any system call and
arguments (checked by running the BPF program), its numbers are the kernel's,
and installed in a process it denies what it must and leaves Python working."""
import errno
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.harness import seccomp

DENIED = {machine: {n for n in table if n not in seccomp.SPECIAL}
          for machine, table in seccomp.SYSCALLS.items()}
ALLOW, EPERM, ENOSYS = (seccomp.RET_ALLOW, seccomp.RET_ERRNO | errno.EPERM,
                        seccomp.RET_ERRNO | errno.ENOSYS)


def run_bpf(code: bytes, data: bytes) -> int:
    """Classic BPF as the kernel runs it, for the instructions the filter uses."""
    insns = [struct.unpack("=HBBI", code[i:i + 8]) for i in range(0, len(code), 8)]
    pc, acc = 0, 0
    while True:
        op, jt, jf, k = insns[pc]
        if op == seccomp.LD_W_ABS:
            acc = struct.unpack_from("=I", data, k)[0]
        elif op == seccomp.RET_K:
            return k
        elif op in (seccomp.JEQ_K, seccomp.JGE_K, seccomp.JSET_K):
            taken = {seccomp.JEQ_K: acc == k, seccomp.JGE_K: acc >= k,
                     seccomp.JSET_K: bool(acc & k)}[op]
            pc += jt if taken else jf
        else:
            raise AssertionError(f"unexpected instruction {op:#x}")
        pc += 1


def expected(machine, arch, nr, arg0) -> int:
    """What the filter must answer, written from the specification."""
    table = seccomp.SYSCALLS[machine]
    if arch != seccomp.ARCH[machine] or (machine == "x86_64" and nr >= seccomp.X32_BIT):
        return EPERM
    if nr == table["clone"]:
        return EPERM if arg0 & seccomp.NEW_NAMESPACES else ALLOW
    if nr == table["clone3"]:
        return ENOSYS
    if nr == table["personality"]:
        return ALLOW if (arg0 & 0xFFFFFFFF) in seccomp.PERSONALITY_OK else EPERM
    return EPERM if nr in {table[n] for n in DENIED[machine]} else ALLOW


def numbers(machine):
    table = seccomp.SYSCALLS[machine]
    return st.one_of(st.sampled_from(sorted(table.values())), st.integers(0, 2 ** 32 - 1),
                     st.integers(0, 500))


@pytest.mark.parametrize("machine", sorted(seccomp.SYSCALLS))
@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_the_program_decides_as_specified(machine, data):
    arch = data.draw(st.one_of(st.just(seccomp.ARCH[machine]), st.integers(0, 2 ** 32 - 1)))
    nr = data.draw(numbers(machine))
    arg0 = data.draw(st.one_of(st.integers(0, 2 ** 64 - 1),
                               st.sampled_from([0, 0xFFFFFFFF, 8, 0x11, 0x01200011,
                                                0x10000000, 0x08000000, 0x20000])))
    args = [arg0] + [data.draw(st.integers(0, 2 ** 64 - 1)) for _ in range(5)]
    record = struct.pack("=iIQ6Q", nr - 2 ** 32 if nr >= 2 ** 31 else nr, arch, 0, *args)
    assert run_bpf(seccomp.program(machine), record) == expected(machine, arch, nr, arg0)


def header_numbers(path: Path) -> dict:
    text = path.read_text()
    return {m.group(1): int(m.group(2)) for m in
            re.finditer(r"#define __NR(?:3264)?_(\w+)\s+(\d+)\b", text)}


@pytest.mark.parametrize("machine, header", [
    ("x86_64", "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"),
    ("aarch64", "/usr/include/asm-generic/unistd.h")])
def test_the_numbers_are_the_kernels(machine, header):
    if not Path(header).exists():
        pytest.fail(f"{header} is needed (the linux-libc-dev package)")
    known = header_numbers(Path(header))
    listed = seccomp.SYSCALLS[machine]
    checked = {name for name in listed if name in known}
    assert len(checked) >= len(listed) - 6  # a few are gone from newer headers
    assert {n: listed[n] for n in checked} == {n: known[n] for n in checked}


PROBE = r'''
import ctypes, errno, os, platform, subprocess, threading
from grader.harness import seccomp
seccomp.install()
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
table = seccomp.SYSCALLS[platform.machine()]

def call(name, *args):
    ctypes.set_errno(0)
    result = libc.syscall(ctypes.c_long(table[name]), *[ctypes.c_long(a) for a in args])
    return errno.errorcode.get(ctypes.get_errno(), "0") if result == -1 else "ok"

out = {name: call(name, 0, 0, 0, 0, 0) for name in table if name not in seccomp.SPECIAL}
out["keyctl search"] = call("keyctl", 10, -4, 0, 0, 0)
out["unshare user"] = call("unshare", 0x10000000)
out["clone newuser"] = call("clone", 0x10000000 | 17, 0, 0, 0, 0)
out["clone3"] = call("clone3", 0, 0)
out["personality linux32"] = call("personality", 8)
out["personality query"] = call("personality", 0xFFFFFFFF)
import numpy
t = threading.Thread(target=lambda: None); t.start(); t.join()
pid = os.fork()
if pid == 0:
    os._exit(7)
out["fork"] = os.waitpid(pid, 0)[1] >> 8
out["subprocess"] = subprocess.run(["true"]).returncode
out["numpy"] = float(numpy.linalg.norm(numpy.ones(4)))
print(repr(out))
'''


def test_installed_it_denies_with_eperm_and_python_still_works():
    import ast
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          cwd=Path(__file__).parent.parent, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    out = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    denied = {n: out[n] for n in DENIED[__import__("platform").machine()]}
    assert set(denied.values()) == {"EPERM"}, denied
    assert out["keyctl search"] == out["unshare user"] == out["clone newuser"] == "EPERM"
    assert out["clone3"] == "ENOSYS" and out["personality linux32"] == "EPERM"
    assert out["personality query"] == "ok"
    assert (out["fork"], out["subprocess"], out["numpy"]) == (7, 0, 2.0)
