"""How well the grader catches and names wrong implementations it has never seen.

    PYTHONPATH=. .venv/bin/python benchmarks/diagnosis.py [--split dev|heldout|all]

Grades every entry of ``benchmarks/diagnosis_corpus`` in-process: the
checks' programs run against the reference's namespace with the entry's
function in it, as ``tests/checks_helpers.py`` does, and the verdicts and
diagnoses come from ``grader.scoring``. Prints per assignment and split:
caught (lost at least one point), named (a failed check's diagnosis gives one
of the entry's expected ids), misnamed (a family was named that is not
expected; a failure kind is an observation and never counts as a misname),
and the correct variants that keep full marks.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import assignments  # noqa: E402
from grader.checks.expected import prepare  # noqa: E402
from grader.harness import programs  # noqa: E402
from grader.scoring import agree_per_function, judge_check  # noqa: E402

ASSIGNMENTS = {"a6": "a6_batching", "a7": "a7_optimizers"}
SPLITS = ("dev", "heldout")
_PREPARED: dict = {}


def corpus(short: str, split: str):
    module = importlib.import_module(f"benchmarks.diagnosis_corpus.{short}_{split}")
    return module.WRONG, getattr(module, "CORRECT", [])


def grade(name: str, function: str, impl) -> list:
    if name not in _PREPARED:
        _PREPARED[name] = prepare(assignments.load(name))
    spec = assignments.load(name)
    namespace = dict(spec.reference, **{function: impl})
    results = [judge_check(p, [programs.run(x, namespace, own=p.extension) for x in p.programs])
               for p in _PREPARED[name] if p.check.function == function]
    agree_per_function(results)  # as grader.scoring.score_run does
    return results


def ids_of(results) -> set:
    return {d.id or d.name for r in results if not r.passed for d in r.diagnosis}


def measure(short: str, split: str) -> dict:
    wrong, correct = corpus(short, split)
    name = ASSIGNMENTS[short]
    caught = named = 0
    misnamed, missed, unnamed = [], [], []
    for function, expected, impl in wrong:
        results = grade(name, function, impl)
        ids = ids_of(results)
        label = f"{function}/{impl.__name__}"
        if all(r.passed for r in results):
            missed.append(label)
            continue
        caught += 1
        if ids & set(expected):
            named += 1
        else:
            unnamed.append(f"{label}: want {sorted(expected)}, got {sorted(ids)}")
        wrong_names = {i for i in ids - set(expected) if not i.startswith("kind:")}
        if wrong_names and not ids & set(expected):
            misnamed.append(f"{label}: {sorted(wrong_names)} (want {sorted(expected)})")
    full = sum(all(r.passed for r in grade(name, f, impl)) for f, impl in correct)
    n = len(wrong)
    return {"wrong": n, "caught": 100.0 * caught / n, "named": 100.0 * named / n,
            "misnamed": len(misnamed), "correct": len(correct),
            "correct_full": 100.0 * full / len(correct) if correct else 100.0,
            "missed": missed, "unnamed": unnamed, "misnamed_list": misnamed}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=SPLITS + ("all",), default="dev")
    parser.add_argument("--verbose", action="store_true", help="list what was missed or unnamed")
    args = parser.parse_args(argv)
    splits = SPLITS if args.split == "all" else (args.split,)
    print(f"{'':4} {'split':8} {'wrong':>5} {'caught':>7} {'named':>7} {'misnamed':>8} "
          f"{'correct full marks':>19}")
    for short in ASSIGNMENTS:
        for split in splits:
            m = measure(short, split)
            correct = f"{m['correct_full']:6.1f}% of {m['correct']}" if m["correct"] else "-"
            print(f"{short:4} {split:8} {m['wrong']:5d} {m['caught']:6.1f}% {m['named']:6.1f}% "
                  f"{m['misnamed']:8d} {correct:>19}")
            if args.verbose:
                for kind in ("missed", "misnamed_list", "unnamed"):
                    for line in m[kind]:
                        print(f"     {kind}: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
