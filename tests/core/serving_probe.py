"""An app factory for tests/core/test_serving.py: each process it runs in records the background-work setting the
supervisor gave it, in a file named by its pid, and answers /frozen with how many objects it froze out of the
garbage collector's passes once serving."""

from __future__ import annotations

import gc
import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

FOLDER = "MBK_TEST_SERVING_PROBE"


def create_app() -> Starlette:
    Path(os.environ[FOLDER], str(os.getpid())).write_text(os.environ.get("MBK_RUN_DISPATCHER", "unset"))
    return Starlette(routes=[Route("/frozen", frozen)])


async def frozen(request: Request) -> PlainTextResponse:
    return PlainTextResponse(str(gc.get_freeze_count()))
