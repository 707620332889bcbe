"""axe-core accessibility checks on a Playwright page (axe-core's script ships with axe-playwright-python)."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

_axe = Axe()
BLOCKING_IMPACTS = ("serious", "critical")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def run_axe(page: Any, run_only: dict[str, Any]) -> dict[str, Any]:
    """axe-core's results for the page. Its 570 kB script is injected once per document, not at every run, and
    only violations and incomplete checks come back in full (passes are not read): the kiosk walk runs axe on
    18 screens in 7 languages and 3 modes."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe.axe_script)
    options = {"runOnly": run_only, "resultTypes": ["violations", "incomplete"]}
    return page.evaluate("options => axe.run(document, options)", options)


def _run(page: Any) -> dict[str, Any]:
    return run_axe(page, {"type": "tag", "values": WCAG_TAGS})


def _violations(results: dict[str, Any], impacts: tuple[str, ...]) -> list[str]:
    lines = []
    for violation in results["violations"]:
        if violation.get("impact") in impacts:
            targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
            lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return lines


def _measured_low_contrast(results: dict[str, Any]) -> list[str]:
    """Text whose contrast axe measured too low but filed as "incomplete" rather than a violation (it does so
    for text the colour of its background, 1:1, in case the text is meant to be hidden)."""
    lines = []
    for rule in results["incomplete"]:
        if rule["id"] != "color-contrast":
            continue
        for node in rule["nodes"]:
            for check in node["any"]:
                data = check.get("data") or {}
                ratio, expected = data.get("contrastRatio"), str(data.get("expectedContrastRatio") or "")
                if isinstance(ratio, int | float) and ratio > 0 and expected.endswith(":1") and \
                        ratio < float(expected[:-2]):
                    lines.append(f"color-contrast (measured {ratio}:1, needs {expected}) at {node['target']}")
    return lines


def axe_violations(page: Any, impacts: tuple[str, ...] = BLOCKING_IMPACTS) -> list[str]:
    """Violations of WCAG 2.1 A/AA rules with the given impacts, plus measured contrast failures, one line each."""
    results = _run(page)
    return _violations(results, impacts) + _measured_low_contrast(results)


def assert_accessible(page: Any) -> dict[str, Any]:
    """Fails on blocking violations; returns axe's results for further checks of the same screen."""
    results = _run(page)
    violations = _violations(results, BLOCKING_IMPACTS) + _measured_low_contrast(results)
    assert not violations, "axe-core violations:\n" + "\n".join(violations)
    return results
