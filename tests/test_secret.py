"""Graded inputs come from the tutor's secret: nothing a student can know in advance.

The self-check publishes one draw of the public checks with the reference's
outputs; a notebook that only looks its answers up in that table must score
nothing, because grading draws every check from the class's secret. The
secret is made once per output folder, kept from the sandbox, and named in
the journal so that a resumed run reuses only results of the same draw.
"""
import stat
from pathlib import Path

import numpy as np

import assignments
from grader.checks.expected import prepare
from grader.checks.secret import FILE_NAME, Secret
from grader.execute import Limits
from grader.grade import grade
from grader.harness import wire
from grader.options import GradeOptions

import nbfactory

A7 = assignments.load("a7_optimizers")
LIMITS = Limits(timeout=60, call_timeout=10)


def test_the_secret_file_is_made_once_private_and_reused(tmp_path):
    path = tmp_path / "s"
    first = Secret.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_text().strip()) == 64
    assert Secret.load_or_create(path) == first
    assert Secret.load_or_create(tmp_path / "t") != first


def test_each_secret_draws_other_inputs_and_the_preview_is_fixed():
    preview = [wire.encode(p.programs) for p in prepare(A7)]
    assert preview == [wire.encode(p.programs) for p in prepare(A7)]
    drawn = {s: [wire.encode(p.programs) for p in prepare(A7, Secret(s))] for s in (b"a", b"b")}
    for k, name in enumerate(c.name for _, c in A7.checks()):
        assert len({preview[k], drawn[b"a"][k], drawn[b"b"][k]}) == 3, name
    assert drawn[b"a"] == [wire.encode(p.programs) for p in prepare(A7, Secret(b"a"))]


def _lookup_notebook(bundle: Path) -> str:
    """Functions that answer the published single-step checks from a table of
    their inputs and the reference's outputs, and know nothing else."""
    data = wire.decode((bundle / "selfcheck" / "public.bin").read_bytes())
    table = {}
    for entry in data["checks"]:
        for program, want in zip(entry["programs"], entry["expected"]):
            if program["op"] == "call" and want["ok"]:
                key = repr([np.asarray(a).tolist() for a in program["args"]
                            if isinstance(a, (np.ndarray, np.generic))])
                out = want["out"]
                table[key] = ([o.tolist() for o in out], True) if isinstance(out, list) \
                    else (out.tolist(), False)
    functions = "\n".join(f"{fn} = _answer" for fn in A7.functions)
    return (f"import numpy as np\nTABLE = {table!r}\n"
            "def _answer(*args, **kwargs):\n"
            "    key = repr([np.asarray(a).tolist() for a in args if isinstance(a, (np.ndarray, np.generic))])\n"
            "    out, several = TABLE[key]\n"
            "    return tuple(np.array(o) for o in out) if several else np.array(out)\n"
            f"{functions}\n")


def test_a_lookup_table_of_the_published_checks_scores_nothing(tmp_path, bundles):
    lookup = _lookup_notebook(bundles["a7_optimizers"])
    subs = tmp_path / "subs"
    subs.mkdir()
    nbfactory.write(subs, "lookup", nbfactory.notebook(lookup))
    nbfactory.write(subs, "correct", nbfactory.notebook(nbfactory.CORRECT_A7))
    _, records, _ = grade(subs, tmp_path / "out", GradeOptions(jobs=2, limits=LIMITS))
    by = {r.student: r for r in records}
    assert by["correct"].score == A7.max_score + 5  # AdamW's bonus on top
    assert by["lookup"].status == "graded" and by["lookup"].score == 0
    # The table is right about the preview: the self-check's own inputs.
    namespace = {}
    exec(lookup, namespace)
    preview = [p for p in prepare(A7) if p.check.name == "sgd_update: single steps"][0]
    from grader.harness import programs
    from grader.scoring import judge_check
    assert judge_check(preview, [programs.run(p, namespace, own=preview.extension)
                                 for p in preview.programs]).passed


def test_the_journal_names_the_secret_and_resume_reuses_only_its_draw(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    nbfactory.write(subs, "correct", nbfactory.notebook(nbfactory.CORRECT_A7))
    out = tmp_path / "out"
    _, first, _ = grade(subs, out, GradeOptions(jobs=1, limits=LIMITS))
    secret = Secret.load_or_create(out / FILE_NAME)
    assert first[0].inputs == secret.fingerprint
    assert secret.fingerprint not in secret.value.decode()
    _, again, _ = grade(subs, out, GradeOptions(jobs=1, limits=LIMITS, resume=True))
    assert again[0].seconds == first[0].seconds  # reused, not run again
    _, other, _ = grade(subs, out,
                        GradeOptions(jobs=1, limits=LIMITS, resume=True, secret=Secret(b"x")))
    assert other[0].inputs == Secret(b"x").fingerprint != secret.fingerprint
    assert (out / FILE_NAME).read_text().strip() == secret.value.decode()  # left as it was


def test_the_notebook_cannot_read_the_secret(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    Secret.load_or_create(out / FILE_NAME)
    reader = nbfactory.CORRECT_A7 + f"""
try:
    SEEN = open({str(out / FILE_NAME)!r}).read()
except OSError:
    SEEN = ""
_sgd = sgd_update
def sgd_update(theta, g, lr):
    if SEEN:
        raise RuntimeError("read the secret")
    return _sgd(theta, g, lr)
"""
    nbfactory.write(subs, "reader", nbfactory.notebook(reader))
    _, records, _ = grade(subs, out, GradeOptions(jobs=1, limits=LIMITS, isolation="bwrap"))
    assert records[0].score == A7.max_score + 5, [c.message for c in records[0].checks
                                                  if not c.passed]
