"""One uvicorn server on its own SO_REUSEPORT socket, so that several such processes share a port and the kernel
spreads new connections over them; prints ``ready`` once the app has started and the socket listens.

    python -m bench.support.reuseport core.web.app:create_app 8123
"""

from __future__ import annotations

import socket
import sys

import uvicorn


class _AnnouncingServer(uvicorn.Server):
    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        print("ready", flush=True)


def main() -> None:
    app, port = sys.argv[1], int(sys.argv[2])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    config = uvicorn.Config(app, factory=True, log_level="warning", access_log=False, timeout_graceful_shutdown=1,
                            backlog=4096)
    _AnnouncingServer(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
