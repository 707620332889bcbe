"""An app factory for tests/core/test_serving.py: each process it runs in records the background-work setting the
supervisor gave it, in a file named by its pid."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette

FOLDER = "MBK_TEST_SERVING_PROBE"


def create_app() -> Starlette:
    Path(os.environ[FOLDER], str(os.getpid())).write_text(os.environ.get("MBK_RUN_DISPATCHER", "unset"))
    return Starlette()
