"""grader grade --github-output, in the format of GitHub Classroom's
autograding-grading-reporter, and the example workflow that feeds it."""
import base64
import json
import subprocess
import sys

import pytest
import yaml

from install import ROOT

CLASS = ROOT / "examples" / "submissions" / "a7_optimizers"
WORKFLOW = ROOT / "examples" / "github-classroom" / "classroom.yml"
TEST_KEYS = {"name", "status", "score", "message", "line_no", "duration"}


def grade(tmp_path, *names, env_output=True, extra=()):
    folder = tmp_path / "class"
    folder.mkdir()
    for name in names:
        (folder / f"{name}.ipynb").write_bytes((CLASS / f"{name}.ipynb").read_bytes())
    output = tmp_path / "github_output"
    output.write_text("earlier=kept\n")
    env = {"PATH": "/usr/bin:/bin"} | ({"GITHUB_OUTPUT": str(output)} if env_output else {})
    run = subprocess.run([sys.executable, "-m", "grader.cli", "grade", str(folder), "--out",
                          str(tmp_path / "out"), "--timeout", "10", "--quiet", "--github-output",
                          *extra],
                         cwd=ROOT, env=env | _pythonpath(), capture_output=True, text=True)
    return run, output


def _pythonpath():
    import os
    return {"PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))}


def reported(output):
    lines = output.read_text().splitlines()
    assert lines[0] == "earlier=kept" and len(lines) == 2
    key, value = lines[1].split("=", 1)
    assert key == "result"
    result = json.loads(base64.b64decode(value, validate=True))
    assert set(result) == {"version", "status", "max_score", "tests"} and result["version"] == 1
    assert result["status"] in ("pass", "fail", "error")
    for test in result["tests"]:
        assert set(test) == TEST_KEYS and test["status"] in ("pass", "fail", "error")
        assert isinstance(test["score"], (int, float)) and isinstance(test["message"], str)
    return result


def grades(tmp_path):
    header, *rows = (tmp_path / "out" / "grades.csv").read_text().splitlines()
    return [dict(zip(header.split(","), row.split(","))) for row in rows]


@pytest.mark.parametrize("name, status", [("correct_other_style", "pass"),
                                          ("mistake_adam_t_from_zero", "fail"),
                                          ("never_finishes", "error")])
def test_result_sums_to_the_grade(tmp_path, name, status):
    # --run-all: the endless cell defines nothing graded, and would be skipped.
    run, output = grade(tmp_path, name, extra=["--run-all"] if status == "error" else [])
    assert run.returncode == 0, run.stderr
    result = reported(output)
    row = grades(tmp_path)[0]
    assert result["status"] == status
    # What the reporter sends to Classroom: the tests' scores out of max_score.
    assert sum(t["score"] for t in result["tests"]) == float(row["score"])
    assert result["max_score"] == float(row["max_score"])
    if status == "fail":
        assert any("Looks like" in t["message"] for t in result["tests"] if t["status"] == "fail")


def test_several_notebooks_name_their_student(tmp_path):
    run, output = grade(tmp_path, "correct_as_master", "mistake_adam_t_from_zero")
    assert run.returncode == 0, run.stderr
    result = reported(output)
    assert result["status"] == "fail"
    assert {t["name"].split(": ")[0] for t in result["tests"]} == \
        {"correct_as_master", "mistake_adam_t_from_zero"}
    assert sum(t["score"] for t in result["tests"]) == sum(float(r["score"]) for r in grades(tmp_path))


def test_without_github_output_variable_it_is_a_usage_error(tmp_path):
    run, _ = grade(tmp_path, "correct_as_master", env_output=False)
    assert run.returncode == 2 and "GITHUB_OUTPUT" in run.stderr
    assert not (tmp_path / "out").exists()


def test_example_workflow_feeds_the_reporter():
    workflow = yaml.safe_load(WORKFLOW.read_text())
    steps = workflow["jobs"]["run-autograding-tests"]["steps"]
    grading = next(s for s in steps if "--github-output" in s.get("run", ""))
    reporter = next(s for s in steps if "autograding-grading-reporter" in s.get("uses", ""))
    runner = reporter["with"]["runners"]
    assert runner == grading["id"]
    assert reporter["env"][f"{runner.upper()}_RESULTS"] == f"${{{{ steps.{runner}.outputs.result }}}}"
    assert "--isolation bwrap" in grading["run"] and "sudo" in grading["run"]
    assert workflow["permissions"]["checks"] == "write"
