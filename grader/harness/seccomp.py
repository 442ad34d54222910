"""A seccomp filter for the student's processes: system calls no notebook needs fail with EPERM.

At least the denials of Docker's default profile: kernel key rings (state no
namespace isolates, which a slot's user would otherwise carry from one
submission to the next), tracing and other processes' memory, BPF and perf,
mounts and namespaces, modules, kexec, swap, reboot, the clock, accounting,
file handles, io_uring. A denied call returns an error (the student gets a
Python exception), never a kill. ``clone3`` answers ENOSYS so that the C
library falls back to ``clone``, whose flags a filter can see.

The BPF program is built here (stdlib only: this runs inside the sandbox)
for x86_64 and aarch64; a call made through another ABI (i386, x32) fails.
"""
from __future__ import annotations

import ctypes
import errno
import platform
import struct

AUDIT_ARCH_X86_64, AUDIT_ARCH_AARCH64 = 0xC000003E, 0xC00000B7
X32_BIT = 0x40000000
NEW_NAMESPACES = 0x7E020000  # CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
#: personality() values that change nothing: the default, and a query.
PERSONALITY_OK = (0x0, 0xFFFFFFFF)

# Numbers shared by both architectures (the unified table from 424 on).
_COMMON = {"pidfd_getfd": 438, "io_uring_setup": 425, "io_uring_enter": 426,
           "io_uring_register": 427, "open_tree": 428, "move_mount": 429, "fsopen": 430,
           "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
           "quotactl_fd": 443, "clone3": 435}
SYSCALLS = {
    "x86_64": dict(_COMMON, ptrace=101, syslog=103, personality=135, acct=163, mount=165,
                   umount2=166, swapon=167, swapoff=168, reboot=169, pivot_root=155,
                   quotactl=179, init_module=175, delete_module=176, kexec_load=246,
                   kexec_file_load=320, add_key=248, request_key=249, keyctl=250, unshare=272,
                   setns=308, process_vm_readv=310, process_vm_writev=311, finit_module=313,
                   bpf=321, perf_event_open=298, userfaultfd=323, open_by_handle_at=304,
                   name_to_handle_at=303, lookup_dcookie=212, clone=56, vhangup=153,
                   settimeofday=164, clock_settime=227, adjtimex=159, clock_adjtime=305,
                   kcmp=312, uselib=134, iopl=172, ioperm=173, create_module=174,
                   get_kernel_syms=177, query_module=178, nfsservctl=180, _sysctl=156),
    "aarch64": dict(_COMMON, ptrace=117, syslog=116, personality=92, acct=89, mount=40,
                    umount2=39, swapon=224, swapoff=225, reboot=142, pivot_root=41,
                    quotactl=60, init_module=105, delete_module=106, kexec_load=104,
                    kexec_file_load=294, add_key=217, request_key=218, keyctl=219, unshare=97,
                    setns=268, process_vm_readv=270, process_vm_writev=271, finit_module=273,
                    bpf=280, perf_event_open=241, userfaultfd=282, open_by_handle_at=265,
                    name_to_handle_at=264, lookup_dcookie=18, clone=220, vhangup=58,
                    settimeofday=170, clock_settime=112, adjtimex=171, clock_adjtime=266,
                    kcmp=272, nfsservctl=42),
}
ARCH = {"x86_64": AUDIT_ARCH_X86_64, "aarch64": AUDIT_ARCH_AARCH64}
#: Calls with a rule of their own below; every other name in the table is denied.
SPECIAL = ("clone", "clone3", "personality")

# Classic BPF.
LD_W_ABS, JEQ_K, JGE_K, JSET_K, RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
RET_ALLOW, RET_ERRNO = 0x7FFF0000, 0x00050000
NR, ARCH_AT, ARG0_LOW = 0, 4, 16  # seccomp_data offsets (little-endian arguments)


def program(machine: str | None = None) -> bytes:
    """The filter for ``machine`` (default: this one), as struct sock_filter[]."""
    machine = machine or platform.machine()
    numbers = SYSCALLS[machine]
    code: list = []  # (code, jump-if-true label, jump-if-false label, k)
    code.append((LD_W_ABS, None, None, ARCH_AT))
    code.append((JEQ_K, None, "eperm", ARCH[machine]))
    code.append((LD_W_ABS, None, None, NR))
    if machine == "x86_64":
        code.append((JGE_K, "eperm", None, X32_BIT))
    code.append((JEQ_K, "clone", None, numbers["clone"]))
    code.append((JEQ_K, "enosys", None, numbers["clone3"]))
    code.append((JEQ_K, "personality", None, numbers["personality"]))
    for name, nr in sorted(numbers.items(), key=lambda item: item[1]):
        if name not in SPECIAL:
            code.append((JEQ_K, "eperm", None, nr))
    code.append((RET_K, None, None, RET_ALLOW))
    labels = {"clone": len(code)}
    code += [(LD_W_ABS, None, None, ARG0_LOW), (JSET_K, "eperm", None, NEW_NAMESPACES),
             (RET_K, None, None, RET_ALLOW)]
    labels["personality"] = len(code)
    code.append((LD_W_ABS, None, None, ARG0_LOW))
    code += [(JEQ_K, "allow", None, value) for value in PERSONALITY_OK]
    labels["eperm"] = len(code)
    code.append((RET_K, None, None, RET_ERRNO | errno.EPERM))
    labels["enosys"] = len(code)
    code.append((RET_K, None, None, RET_ERRNO | errno.ENOSYS))
    labels["allow"] = len(code)
    code.append((RET_K, None, None, RET_ALLOW))
    return b"".join(_encode(i, op, labels) for i, op in enumerate(code))


def _encode(i: int, op: tuple, labels: dict) -> bytes:
    code, true, false, k = op
    jt, jf = (0 if label is None else labels[label] - i - 1 for label in (true, false))
    if not (0 <= jt < 256 and 0 <= jf < 256):
        raise ValueError("a jump of the seccomp program is out of range")
    return struct.pack("=HBBI", code, jt, jf, k)


class _Prog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC = 1, 1
SECCOMP_NR = {"x86_64": 317, "aarch64": 277}


def install() -> None:
    """Filter this process, all its threads and everything it starts; OSError if it cannot."""
    machine = platform.machine()
    if machine not in SYSCALLS:
        raise OSError(f"no seccomp filter for {machine}")
    code = program(machine)
    buffer = ctypes.create_string_buffer(code, len(code))
    prog = _Prog(len(code) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "no_new_privs could not be set")
    if libc.syscall(ctypes.c_long(SECCOMP_NR[machine]), SECCOMP_SET_MODE_FILTER,
                    SECCOMP_FILTER_FLAG_TSYNC, ctypes.byref(prog)) == 0:
        return
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "the seccomp filter could not be installed")
