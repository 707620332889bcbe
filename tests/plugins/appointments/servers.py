"""Real servers on loopback for the calendar sync tests: an HTTP server serving .ics files that a test changes
(and can take down), and Radicale, a real CalDAV server, started from PyPI's package with a password file."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import caldav

from tests.support import free_port


class FeedServer:
    """Serves ``files`` (path → iCalendar text) over HTTP on 127.0.0.1; ``down`` answers 503 to everything.
    Each answer has an ETag (a hash of the text) and a Last-Modified; a GET whose If-None-Match names the current
    ETag gets 304 Not Modified. ``answers`` records each request's path, If-None-Match and status."""

    LAST_MODIFIED = "Fri, 20 Mar 2026 08:00:00 GMT"

    def __init__(self) -> None:
        self.files: dict[str, str] = {}
        self.down = False
        self.answers: list[tuple[str, str | None, int]] = []
        feeds = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                body = feeds.files.get(self.path)
                asked = self.headers.get("If-None-Match")
                if feeds.down or body is None:
                    feeds.answers.append((self.path, asked, 503 if feeds.down else 404))
                    self.send_response(503 if feeds.down else 404)
                    self.end_headers()
                    return
                data = body.encode("utf-8")
                etag = f'"{hashlib.sha256(data).hexdigest()[:16]}"'
                status = 304 if asked == etag else 200
                feeds.answers.append((self.path, asked, status))
                self.send_response(status)
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", feeds.LAST_MODIFIED)
                if status == 304:
                    self.end_headers()
                    return
                self.send_header("Content-Type", "text/calendar; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class Radicale:
    """A Radicale process on a free loopback port; one user ``sync`` with ``password``."""

    def __init__(self, folder: Path, password: str = "radicale-test-password"):
        self.password = password
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        users = folder / "users"
        users.write_text(f"sync:{password}\n", encoding="utf-8")
        self.command = [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{self.port}",
                        "--auth-type", "htpasswd", "--auth-htpasswd-filename", str(users),
                        "--auth-htpasswd-encryption", "plain", "--storage-filesystem-folder", str(folder / "storage"),
                        "--rights-type", "owner_only", "--logging-level", "warning"]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Radicale:
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while True:  # ready when it accepts connections
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"Radicale did not start: {self.process.stderr.read()!r}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def client(self) -> caldav.DAVClient:
        return caldav.DAVClient(url=self.url, username="sync", password=self.password)

    def new_calendar(self, name: str) -> caldav.Calendar:
        return self.client().principal().make_calendar(name=name, cal_id=name)
