"""Browser-test options: ``--screenshots-dir`` (used by ``make screenshots``).

Tests that take screenshots need that folder; without it they are deselected (not skipped), so that a
normal run has no skips at all and CI can treat any skip as a missing browser or database.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--screenshots-dir", default=None,
                     help="write a PNG of each screen into this folder (tests named *screenshots*)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--screenshots-dir", default=None):
        return
    screenshot_tests = [item for item in items if "screenshots_dir" in getattr(item, "fixturenames", ())]
    if screenshot_tests:
        config.hook.pytest_deselected(items=screenshot_tests)
        items[:] = [item for item in items if item not in screenshot_tests]


@pytest.fixture
def screenshots_dir(request: pytest.FixtureRequest) -> Path:
    path = Path(request.config.getoption("--screenshots-dir"))
    path.mkdir(parents=True, exist_ok=True)
    return path
