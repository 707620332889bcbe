"""Browser-test options: ``--screenshots-dir`` (used by ``make screenshots``)."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--screenshots-dir", default=None,
                     help="write a PNG of each screen into this folder (tests named *screenshots*)")


@pytest.fixture
def screenshots_dir(request: pytest.FixtureRequest) -> Path:
    """The folder for screenshots; tests that take them are skipped unless it was asked for."""
    folder = request.config.getoption("--screenshots-dir", default=None)
    if not folder:
        pytest.skip("screenshots are written only on request: make screenshots")
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path
