"""JUnit XML, which CI systems (GitLab, Jenkins, Azure) show as test results: one test suite per
file, one test case per finding. Errors and warnings are failures, a file that cannot be loaded an
error; info findings are passing cases with the finding as output; a clean file one passing case.

XML 1.0 cannot hold most control characters, even escaped: they are left out of every string.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from cnncalc.diagnostics import Severity
from cnncalc.linter.rules.invalid_spec import InvalidSpec
from cnncalc.render import Entry, Failure, Report, entries

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (escaping ``<`` and ``&`` is ElementTree's).

    >>> xml_text("bell\\x07, form feed\\x0c and U+FFFE\\ufffe gone; tab\\tkept")
    'bell, form feed and U+FFFE gone; tab\\tkept'
    """
    return _NOT_XML.sub("", text)


def render_junit(reports: list[Report]) -> str:
    """The whole report as one ``<testsuites>`` document."""
    per_report = [(report, list(entries([report]))) for report in reports]
    counts = [_counts(own) for _, own in per_report]
    total = {key: sum(count[key] for count in counts) for key in ("tests", "failures", "errors")}
    suites = ET.Element("testsuites", _attributes(name="cnncalc", **total))
    for (report, own), count in zip(per_report, counts, strict=True):
        file = report.file if isinstance(report, Failure) else (report.file or report.name)
        suite = ET.SubElement(suites, "testsuite", _attributes(name=file, **count))
        for entry in own:
            _case(suite, entry)
        if not own:
            ET.SubElement(suite, "testcase", _attributes(name="no findings", classname=file))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


def _case(suite: ET.Element, entry: Entry) -> None:
    name = f"{entry.code} {entry.layer or entry.field or entry.file}"
    case = ET.SubElement(suite, "testcase", _attributes(name=name, classname=entry.file, line=entry.line))
    place = f"{entry.file}:{entry.line}" if entry.line else entry.file
    details = "\n".join([place, entry.text] + ([f"hint: {entry.hint}"] if entry.hint else []))
    if entry.severity is Severity.INFO:
        ET.SubElement(case, "system-out").text = xml_text(f"info {entry.code}: {details}")
        return
    tag = "error" if entry.code == InvalidSpec.code else "failure"
    kind = f"{entry.severity.value} {entry.code}"
    failure = ET.SubElement(case, tag, _attributes(type=kind, message=entry.text))
    failure.text = xml_text(details)


def _counts(found: list[Entry]) -> dict[str, int]:
    errors = sum(entry.code == InvalidSpec.code for entry in found)
    failures = sum(entry.severity is not Severity.INFO for entry in found) - errors
    return {"tests": max(len(found), 1), "failures": failures, "errors": errors}


def _attributes(**values: str | int | None) -> dict[str, str]:
    return {key: xml_text(str(value)) for key, value in values.items() if value is not None}
