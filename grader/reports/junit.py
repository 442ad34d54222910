"""--junit FILE: one test case per check and student, for CI systems.

Every text goes through ``_text``: cut to a cap, and every character that
XML 1.0 forbids (control characters other than tab and line breaks, lone
surrogates, U+FFFE and U+FFFF) replaced by U+FFFD; ElementTree escapes the
rest. Checks are read through ``scoring.shown``.
"""
import re
import xml.etree.ElementTree as ET

from grader import bounds
from grader.scoring import KINDS, shown

_FORBIDDEN = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def write(records, path, allowed: frozenset = KINDS):
    """``allowed``: what a failed check may say (the assignment's ``scoring.words``)."""
    suites = ET.Element("testsuites")
    for r in records:
        checks = [shown(c, allowed) for c in r.checks]
        failures = sum(not c.passed for c in checks)
        suite = ET.SubElement(suites, "testsuite", name=_text(r.student), tests=str(len(checks)),
                              failures=str(failures), time=f"{r.seconds:.3f}")
        for c in checks:
            case = ET.SubElement(suite, "testcase", classname=_text(f"{r.student}.{c.question}"),
                                 name=_text(c.name))
            if not c.passed:
                failure = ET.SubElement(case, "failure", message=_text(c.message or "failed"))
                failure.text = _text("".join(f"\n{d.name}" for d in c.diagnosis),
                                     4 * bounds.MESSAGE)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def _text(value, limit: int = bounds.OTHER) -> str:
    return _FORBIDDEN.sub("\ufffd", bounds.cut(value, limit))
