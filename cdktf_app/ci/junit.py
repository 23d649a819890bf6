"""junit.xml: one test case per stack and stage (plan, gate), so a CI's test view shows which stack failed what."""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree


def ci_junit(summary: dict) -> str:
    cases = []
    if summary["outcome"] == "error":
        cases.append(("run", "plan-and-check", "error", summary["error"]))
    if summary["expired_suppressions"]:
        cases.append(("spec", "suppressions", "failure", "\n".join(summary["expired_suppressions"])))
    for row in summary["stacks"]:
        planned = None if row["planned"] else f"not planned: {row['note'] or row['status']}"
        cases.append((row["name"], "plan", "skipped" if planned else None,
                      planned or f"{row['add']} to add, {row['change']} to change, {row['destroy']} to destroy"))
        new = [finding for finding in summary["findings"] if finding["stack"] == row["name"] and finding["new"]
               and not finding["suppressed"]]
        text = "\n".join(f"[{f['severity']}] {f['check_id']} {f['address']} ({f['file']}:{f['line']})" for f in new)
        cases.append((row["name"], "gate", "failure" if row["new_findings"] else None,
                      f"{row['new_findings']} new finding(s) at or above {summary['fail_on']}\n{text}"))
    suites = ElementTree.Element("testsuites", name="nexus plan-and-check", tests=str(len(cases)),
                                 failures=str(sum(1 for case in cases if case[2] == "failure")),
                                 errors=str(sum(1 for case in cases if case[2] == "error")))
    suite = ElementTree.SubElement(suites, "testsuite", name="nexus plan-and-check", tests=str(len(cases)),
                                   failures=suites.get("failures"), errors=suites.get("errors"),
                                   skipped=str(sum(1 for case in cases if case[2] == "skipped")))
    for classname, name, kind, text in cases:
        case = ElementTree.SubElement(suite, "testcase", classname=classname, name=name)
        if kind:
            element = ElementTree.SubElement(case, kind, message=text.splitlines()[0] if text else kind)
            element.text = text
        else:
            ElementTree.SubElement(case, "system-out").text = text.splitlines()[0]
    ElementTree.indent(suites)
    return ElementTree.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"
