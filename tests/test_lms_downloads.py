"""Canvas and Moodle bulk downloads in their documented layouts, and a hostile
class archive graded end to end: a row for every submission, exit status 0."""
import csv
import json
import subprocess
import sys

import nbformat
import pytest

from grader.lms import canvas, moodle
from grader.submissions import discover
from nbfactory import CORRECT_A7, notebook
from rawzip import write_bomb

FULL = 35.0


def nb_bytes(*cells, **kw) -> bytes:
    return nbformat.writes(notebook(*cells, **kw)).encode()


@pytest.mark.parametrize("name,expected", [
    ("doejane_12345_67890_a7.ipynb", ("doejane", "12345", "67890", False)),
    ("doejane_LATE_12345_67890_a7.ipynb", ("doejane", "12345", "67890", True)),
    ("doejane_12345_67891_a7-1.ipynb", ("doejane", "12345", "67891", False)),   # re-upload
    ("obrienmary_LATE_7_8_my_notebook_v2 (final).ipynb", ("obrienmary", "7", "8", True)),
    ("doejane_12345_67890_LATE_1_2.ipynb", ("doejane", "12345", "67890", False)),  # student's own name
])
def test_canvas_names(name, expected):
    got = canvas(name)
    assert (got["name"], got["user_id"], got["submission_id"], got["late"]) == expected
    assert got == {"system": "canvas", "user_id": expected[1], "submission_id": expected[2],
                   "participant": None, "name": expected[0], "late": expected[3]}


@pytest.mark.parametrize("name", ["a7.ipynb", "doejane_a7.ipynb", "doejane_12_a7.ipynb",
                                  "_12345_67890_a7.ipynb", "doe_jane_12345_67890_a7.ipynb"])
def test_not_canvas_names(name):
    assert canvas(name) is None


def test_moodle_names():
    assert moodle("Jane Doe_4567_assignsubmission_file_", in_folder=True) == {
        "system": "moodle", "user_id": None, "submission_id": None, "participant": "4567",
        "name": "Jane Doe", "late": False}
    assert moodle("Jane Doe_4567_assignsubmission_file", in_folder=True)["participant"] == "4567"
    assert moodle("Jane Doe_4567_assignsubmission_file_a7.ipynb", in_folder=False)["name"] == "Jane Doe"
    assert moodle("Jane Doe_4567_assignsubmission_onlinetext_", in_folder=True) is None
    assert moodle("Jane Doe", in_folder=True) is None


def test_a_canvas_download(tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    for name in ["doejane_LATE_12345_67890_a7.ipynb", "smithbob_222_333_a7.ipynb",
                 "leeann_444_555_a7.ipynb", "leeann_444_556_a7-1.ipynb", "leeann_444_557_notes.txt"]:
        (folder / name).write_bytes(nb_bytes(CORRECT_A7))
    subs = {s.student: s for s in discover(folder)}
    assert sorted(subs) == ["doejane_12345", "leeann_444", "smithbob_222"]
    assert subs["doejane_12345"].lms["late"] and subs["doejane_12345"].name == "doejane"
    assert not subs["smithbob_222"].lms["late"]
    # several notebooks in one submission: one row that says so, as a folder of several does
    assert subs["leeann_444"].content is None
    assert "several notebooks in one submission" in subs["leeann_444"].problem
    assert "a7-1.ipynb" in subs["leeann_444"].problem


def test_a_canvas_download_zipped_in_a_folder(tmp_path):
    import zipfile
    with zipfile.ZipFile(tmp_path / "c.zip", "w") as zf:
        for name in ["doejane_LATE_12345_67890_a7.ipynb", "smithbob_222_333_a7.ipynb"]:
            zf.writestr(f"submissions/{name}", nb_bytes(CORRECT_A7))
    assert sorted(s.student for s in discover(tmp_path / "c.zip")) == ["doejane_12345", "smithbob_222"]
    with zipfile.ZipFile(tmp_path / "d.zip", "w") as zf:  # a student's folder of several stays one
        for name in ["a7.ipynb", "b.ipynb"]:
            zf.writestr(f"ann/{name}", nb_bytes(CORRECT_A7))
    [ann] = discover(tmp_path / "d.zip")
    assert ann.student == "ann" and "several" in ann.problem


def test_a_moodle_download_in_folders_and_flat(tmp_path):
    folder = tmp_path / "moodle"
    for sub, files in {
        "Jane Doe_4567_assignsubmission_file_": ["a7.ipynb"],
        "Jane Doe_4567_assignsubmission_onlinetext_": [],
        "Bob Smith_4568_assignsubmission_file_": ["work/a7.ipynb"],  # Moodle keeps sub-folders
        "Ann Lee_4569_assignsubmission_file_": ["a7.ipynb", "copy.ipynb"],
        "Jane Doe_4570_assignsubmission_file_": ["a7.ipynb"],       # another Jane Doe
    }.items():
        (folder / sub).mkdir(parents=True)
        for name in files:
            (folder / sub / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / sub / name).write_bytes(nb_bytes(CORRECT_A7))
    (folder / "Jane Doe_4567_assignsubmission_onlinetext_" / "onlinetext.html").write_text("<p>hi</p>")
    (folder / "Max Mo_4571_assignsubmission_file_a7.ipynb").write_bytes(nb_bytes(CORRECT_A7))
    subs = {s.student: s for s in discover(folder)}
    assert sorted(subs) == ["Ann Lee_4569", "Bob Smith_4568", "Jane Doe_4567", "Jane Doe_4570",
                            "Max Mo_4571"]
    assert subs["Jane Doe_4567"].lms["participant"] == "4567"
    assert subs["Jane Doe_4570"].name == "Jane Doe" and subs["Jane Doe_4570"].content
    assert "several notebooks" in subs["Ann Lee_4569"].problem


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    """One .zip: a 2 GB zip-bomb entry, odd paths, a name flagged UTF-8 that is
    not, JSON nested past the parser's limit, Canvas and Moodle names, and
    correct notebooks beside them."""
    root = tmp_path_factory.mktemp("hostile")
    path = root / "class.zip"
    good = nb_bytes(CORRECT_A7)
    write_bomb(path, "bomb.ipynb", 2 * 2**30, extra=[
        ("correct.ipynb", good),
        ("../evil.ipynb", good),
        ("/abs.ipynb", good),
        ("dup.ipynb", good),
        ("dup/inner.ipynb", good),
        ("flagged\u00e9\u00e9.ipynb", good),
        ("deep.ipynb", b'{"nbformat": 4, "metadata": ' + b"[" * 5000 + b"]" * 5000 + b"}"),
        ("typed.ipynb", nb_bytes(CORRECT_A7).replace(b'"assignment": "a7_optimizers"',
                                                     b'"assignment": {"a": ["a7_optimizers"]}')),
        ("doejane_LATE_12345_67890_a7.ipynb", good),
        ("Jane Doe_4567_assignsubmission_file_/a7.ipynb", good),
    ])
    data = path.read_bytes()
    assert data.count("flagged\u00e9\u00e9".encode()) == 2
    path.write_bytes(data.replace("flagged\u00e9\u00e9".encode(), b"flagged\xff\xfe\xff\xfe"))
    out = root / "out"
    # VmHWM: the peak of this process's own memory; getrusage's maxrss would also
    # count what the forking test process held when it started the grader.
    probe = ("import sys\nfrom grader.cli import main\ntry:\n    code = main(sys.argv[1:])\n"
             "finally:\n    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')]\n"
             "    print('MAXRSS', hwm[0].split()[1], file=sys.stderr)\nsys.exit(code)\n")
    result = subprocess.run([sys.executable, "-c", probe, "grade", str(path), "--out", str(out),
                             "--assignment", "a7_optimizers", "--jobs", "2", "--quiet"],
                            capture_output=True, text=True, timeout=600)
    with open(out / "grades.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    journal = {r["student"]: r for r in map(json.loads, (out / "journal.jsonl").read_text().splitlines())}
    return result, rows, journal, out


def test_hostile_archive_exit_0_and_a_row_for_every_submission(hostile_class):
    result, rows, _, _ = hostile_class
    assert result.returncode == 0, result.stderr
    assert sorted(rows) == sorted(["bomb", "correct", "evil", "abs", "dup", "dup (2)",
                                   "flagged\ufffd\ufffd\ufffd\ufffd", "deep", "typed",
                                   "doejane_12345", "Jane Doe_4567"])


def test_hostile_archive_statuses(hostile_class):
    _, rows, _, _ = hostile_class
    for student in ("correct", "evil", "abs", "dup", "dup (2)", "flagged\ufffd\ufffd\ufffd\ufffd",
                    "typed", "doejane_12345", "Jane Doe_4567"):
        assert (rows[student]["status"], float(rows[student]["score"])) == ("graded", FULL), student
    assert rows["bomb"]["status"] == "unreadable" and "too large" in rows["bomb"]["reason"]
    assert rows["deep"]["status"] == "unreadable" and "nested too deeply" in rows["deep"]["reason"]


def test_the_grader_never_held_the_bomb(hostile_class):
    result, *_ = hostile_class
    maxrss_kb = int(result.stderr.split("MAXRSS")[1].split()[0])
    assert maxrss_kb < 400 * 1024, maxrss_kb  # the entry inflates to 2 GB


def test_lms_identity_and_name_reach_the_records_and_reports(hostile_class):
    _, _, journal, out = hostile_class
    assert journal["doejane_12345"]["lms"] == {
        "system": "canvas", "user_id": "12345", "submission_id": "67890", "participant": None,
        "name": "doejane", "late": True}
    assert journal["Jane Doe_4567"]["lms"]["participant"] == "4567"
    assert journal["Jane Doe_4567"]["name"] == "Jane Doe"
    assert journal["correct"]["lms"] is None and journal["correct"]["name"] == "correct"
    from grader.reports import safe_name
    feedback = (out / "feedback" / f"{safe_name('Jane Doe_4567')}.md").read_text()
    assert feedback.splitlines()[0].endswith("feedback for Jane Doe")
    index = (out / "report" / "index.html").read_text()
    assert '<div class="small">doejane</div>' in index
