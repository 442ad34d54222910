"""Where graded inputs come from: a secret the tutor keeps and students never see.

Every check draws its inputs from a seed. The self-check publishes one draw
of the public checks (the *preview*, from a fixed seed per check), so that
students can see a relative error; grading draws every check, public ones
included, from the course's secret instead. A notebook that only looks its
answers up in the published table therefore scores nothing, and hidden
inputs cannot be learnt from one run for the next class.

The secret is 32 random bytes, written as hex into a file the first time a
class is graded (``OUT/inputs.secret`` unless ``--secret-file`` names
another) and reused by every later run on that folder; the journal records
its fingerprint, so ``--resume`` reuses only results drawn from the same
secret. ``--secret TEXT`` fixes it for reproducible tests and benchmarks.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from grader.errors import UsageError

FILE_NAME = "inputs.secret"


@dataclass(frozen=True)
class Secret:
    value: bytes

    @property
    def fingerprint(self) -> str:
        """Names the secret in the journal without revealing it."""
        return hashlib.sha256(b"optigrade fingerprint\0" + self.value).hexdigest()[:16]

    def seed(self, assignment_id: str, check_name: str) -> int:
        digest = hashlib.sha256(b"graded\0" + self.value + b"\0"
                                + f"{assignment_id}/{check_name}".encode()).digest()
        return int.from_bytes(digest[:8], "little")

    @classmethod
    def from_text(cls, text: str) -> "Secret":
        if not text:
            raise UsageError("--secret must not be empty")
        return cls(text.encode())

    @classmethod
    def load_or_create(cls, path: Path) -> "Secret":
        """The secret in ``path``; a new random one written there (mode 0600) if absent."""
        path = Path(path)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return cls._read(path)
        except OSError as exc:
            raise UsageError(f"cannot create the secret file {path}: {exc.strerror}") from None
        with os.fdopen(fd, "w") as f:
            f.write(os.urandom(32).hex() + "\n")
        return cls._read(path)

    @classmethod
    def _read(cls, path: Path) -> "Secret":
        try:
            text = path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read the secret file {path}: {exc}") from None
        if not text:
            raise UsageError(f"the secret file {path} is empty: delete it to draw a new secret")
        return cls(text.encode())


def preview_seed(assignment_id: str, check_name: str) -> int:
    """The fixed seed of the inputs the self-check publishes."""
    digest = hashlib.sha256(f"{assignment_id}/{check_name}/public".encode()).digest()
    return int.from_bytes(digest[:8], "little")
