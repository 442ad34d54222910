"""results/<student>.json in Gradescope's autograder results format."""
import json

VISIBILITY = {True: "visible", False: "after_published"}


def write(record, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_results(record)) + "\n", encoding="utf-8")


def to_results(record) -> dict:
    tests = [{"name": c["name"], "score": c["points"], "max_score": c["max_points"],
              "status": "passed" if c["passed"] else "failed",
              "output": check_output(c), "visibility": VISIBILITY[c["public"]]}
             for c in record["checks"]]
    tests += [written_test(w) for w in record.get("written", {}).values()]
    summary = f"Status: {record['status']}" + (f" ({record['reason']})" if record["reason"] else "")
    return {"score": record["score"], "execution_time": record["seconds"], "output": summary,
            "tests": tests}


def check_output(c) -> str:
    lines = [c["message"]] if c["message"] else []
    if c.get("detail"):
        lines.append(c["detail"])
    lines += [f"{'Looks like: ' if d.get('kind', 'family') == 'family' else ''}{d['name']}. "
              f"Hint: {d['hint']}" for d in c["diagnosis"]]
    return "\n".join(lines)


def written_test(w) -> dict:
    """A written answer marked by hand; no status, so Gradescope goes by the points."""
    if w["points"] is None:
        output = "not marked yet" + (f": {w['comment']}" if w["comment"] else "")
    else:
        output = w["comment"]
    return {"name": f"written: {w['title']}", "score": w["points"] or 0.0,
            "max_score": w["max_points"], "output": output, "visibility": "visible"}
