"""Every file a tutor or student reads is the same as in the recorded snapshot.

The example classes of the three assignments are graded with a fixed secret;
grades.csv, results/, feedback/, manual.csv and report/ must hash to the
values in tests/data/same_reports.json. A change of the grader's insides
keeps them; a change of what it says updates the snapshot on purpose:

    python tests/test_same_reports.py --update

Timings are the only part of a run that may differ between two runs, so
they are set to 0 before hashing; the journal is the grader's own file and
is not compared.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "tests" / "data" / "same_reports.json"
SECRET = "the snapshot's secret"
CLASSES = {"a7_optimizers": "a7_optimizers", "a6_batching": "a6_batching",
           "a8_schedules": "examples/assignments/a8_schedules"}
NOT_COMPARED = {"journal.jsonl"}
TIMINGS = {"execution_time"}


def grade(name: str, out: Path) -> None:
    subprocess.run([sys.executable, "-m", "grader.cli", "grade",
                    f"examples/submissions/{name}", "--assignment", CLASSES[name],
                    "--out", str(out), "--secret", SECRET],
                   cwd=ROOT, check=True, capture_output=True, timeout=600)


def normalised(path: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix == ".json":
        value = json.loads(data)
        if isinstance(value, dict):
            for key in TIMINGS & value.keys():
                value[key] = 0
        return json.dumps(value, sort_keys=True, indent=1).encode()
    return data


def hashes(out: Path) -> dict:
    return {str(p.relative_to(out)): hashlib.sha256(normalised(p)).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file() and p.name not in NOT_COMPARED}


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_every_output_file_is_as_recorded(name, tmp_path):
    recorded = json.loads(SNAPSHOT.read_text())[name]
    grade(name, tmp_path / "out")
    now = hashes(tmp_path / "out")
    assert sorted(now) == sorted(recorded), "other files were written"
    changed = [f for f in recorded if now[f] != recorded[f]]
    assert not changed, f"{len(changed)} files differ from the snapshot: {changed[:10]}"


def update() -> None:
    import tempfile
    snapshot = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in sorted(CLASSES):
            grade(name, Path(tmp) / name)
            snapshot[name] = hashes(Path(tmp) / name)
    SNAPSHOT.write_text(json.dumps(snapshot, indent=1, sort_keys=True) + "\n")
    print(f"{SNAPSHOT}: {sum(map(len, snapshot.values()))} files")


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit(__doc__)
    update()
