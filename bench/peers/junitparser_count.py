"""Counts a JUnit report with junitparser: the same work `ci-intel tests` does to report totals.

Usage: python junitparser_count.py REPORT.xml
Prints: tests=N failures=N errors=N skipped=N (distinct tests, last outcome; junitparser reports
retries as plain passes, see bench/RESULTS.md).
"""

import sys

from junitparser import Error, Failure, JUnitXml, Skipped, TestSuite


def cases(suite):
    yield from suite
    for child in suite.testsuites():
        yield from cases(child)


def main(path):
    xml = JUnitXml.fromfile(path)
    suites = [xml] if isinstance(xml, TestSuite) else list(xml)
    seen = {}
    for suite in suites:
        for case in cases(suite):
            kinds = {type(r) for r in case.result}
            if Error in kinds:
                outcome = "error"
            elif Failure in kinds:
                outcome = "failure"
            elif Skipped in kinds:
                outcome = "skipped"
            else:
                outcome = "passed"
            seen[(case.classname, case.name)] = outcome
    counts = {k: 0 for k in ("passed", "failure", "error", "skipped")}
    for outcome in seen.values():
        counts[outcome] += 1
    print(
        f"tests={len(seen)} failures={counts['failure']} errors={counts['error']} "
        f"skipped={counts['skipped']}"
    )


if __name__ == "__main__":
    main(sys.argv[1])
