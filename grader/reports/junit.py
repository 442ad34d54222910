"""--junit FILE: one test case per check and student, for CI systems."""
import xml.etree.ElementTree as ET


def write(records, path):
    suites = ET.Element("testsuites")
    for r in records:
        failures = sum(not c["passed"] for c in r["checks"])
        suite = ET.SubElement(suites, "testsuite", name=r["student"], tests=str(len(r["checks"])),
                              failures=str(failures), time=f"{r['seconds']:.3f}")
        for c in r["checks"]:
            case = ET.SubElement(suite, "testcase", classname=f"{r['student']}.{c['question']}",
                                 name=c["name"])
            if not c["passed"]:
                failure = ET.SubElement(case, "failure", message=c["message"] or "failed")
                failure.text = "\n".join([c.get("detail", "")] + [d["name"] for d in c["diagnosis"]])
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)
