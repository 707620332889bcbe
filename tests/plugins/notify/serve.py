"""Serve the app with the notify plugin only, as its own process (the restart test kills it with SIGKILL).

Settings come from the environment (MBK_DATABASE_URL, MBK_DEPLOYMENT, MBK_SECRET_KEY), as for ``mbk serve``.
Usage: python -m tests.plugins.notify.serve PORT
"""

from __future__ import annotations

import sys

import uvicorn

from core.config import PlatformSettings
from core.web.app import create_app, create_context
from tests.plugins.notify.conftest import notify_and_publishers

if __name__ == "__main__":
    context = create_context(PlatformSettings(), notify_and_publishers())
    uvicorn.run(create_app(context), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
