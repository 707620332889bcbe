"""Serve the app with the dummy plugin registered, configured from MBK_* variables, on the port given as the
first argument: tests that need real, separate server processes start this with ``python -m``."""

from __future__ import annotations

import sys

import uvicorn

from core.config import PlatformSettings
from core.web.app import create_app, create_context
from tests.core.test_plugin_contract import with_dummy


def main() -> None:
    ctx = create_context(PlatformSettings(), with_dummy())
    uvicorn.run(create_app(ctx), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")


if __name__ == "__main__":
    main()
