"""Real servers on loopback for notify's tests and bench: an SMTP server (aiosmtpd) and an HTTP server that
speaks 46elks's SMS API and takes JSON webhooks. Each can be told how to answer, and records what it got."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from aiosmtpd.controller import Controller


class _Collect:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        if self.server.delay:  # a slow server: the client waits this long for its "250 OK"
            await asyncio.sleep(self.server.delay)
        message = message_from_bytes(envelope.original_content, policy=default_policy)
        with self.server.lock:
            self.server.received.append((list(envelope.rcpt_tos), message))
            self.server.received_at.append(time.perf_counter())
        return "250 OK"


class SmtpServer:
    """aiosmtpd on 127.0.0.1:port; ``start()``/``stop()`` may be called to take it up and down."""

    def __init__(self, port: int, delay: float = 0.0, **controller_options: Any):
        self.port = port
        self.delay = delay
        self.controller_options = controller_options  # e.g. tls_context, require_starttls, authenticator
        self.received: list[tuple[list[str], Message]] = []
        self.received_at: list[float] = []  # time.perf_counter() of each message, for the bench
        self.lock = threading.Lock()
        self.controller: Controller | None = None

    def start(self) -> SmtpServer:
        self.controller = Controller(_Collect(self), hostname="127.0.0.1", port=self.port, **self.controller_options)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def messages(self) -> list[tuple[list[str], Message]]:
        with self.lock:
            return list(self.received)

    def wait_for(self, count: int, timeout: float = 10) -> list[tuple[list[str], Message]]:
        deadline = time.monotonic() + timeout
        while len(self.messages()) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.messages()


@dataclass
class HttpRequestRecord:
    path: str
    headers: dict[str, str]
    form: dict[str, str] = field(default_factory=dict)
    json: Any = None


class ProviderServer:
    """46elks's SMS API at POST /a1/sms (form-encoded, basic auth) and webhooks at POST /hook/<name>.

    ``answers`` is a queue of (status, headers) to give in order; when empty, 200 with a message id."""

    def __init__(self, port: int, username: str = "u123", password: str = "sms-secret"):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.credentials = (username, password)
        self.requests: list[HttpRequestRecord] = []
        self.answers: deque[tuple[int, dict[str, str]]] = deque()
        self.lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                record = HttpRequestRecord(self.path, {k.lower(): v for k, v in self.headers.items()})
                if self.path.startswith("/a1/sms"):
                    expected = "Basic " + base64.b64encode(":".join(provider.credentials).encode()).decode()
                    if self.headers.get("authorization") != expected:
                        self._answer(401, {}, b"Wrong credentials")
                        return
                    record.form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
                else:
                    record.json = json.loads(raw or b"null")
                with provider.lock:
                    provider.requests.append(record)
                    status, headers = provider.answers.popleft() if provider.answers else (200, {})
                    number = len(provider.requests)
                if status == 200 and self.path.startswith("/a1/sms"):
                    body = json.dumps({"id": f"s{number:06d}", "status": "created", "parts": 1}).encode()
                    self._answer(200, {"Content-Type": "application/json"}, body)
                else:
                    self._answer(status, headers, b"ok" if status == 200 else b"error")

            def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> ProviderServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def sms(self) -> list[HttpRequestRecord]:
        with self.lock:
            return [r for r in self.requests if r.path.startswith("/a1/sms")]

    def hooks(self) -> list[HttpRequestRecord]:
        with self.lock:
            return [r for r in self.requests if r.path.startswith("/hook/")]

    def wait_for_sms(self, count: int, timeout: float = 10) -> list[HttpRequestRecord]:
        deadline = time.monotonic() + timeout
        while len(self.sms()) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return self.sms()


OFFICE_TOML = """\
[office]
id = "{office}"
name = {{ sv = "Medborgarkontoret Test", en = "Test Citizen Office", ar = "مكتب المواطنين التجريبي" }}
timezone = "Europe/Stockholm"
languages = ["sv", "en", "ar"]

[plugins]
enabled = {enabled}

[[directory.units]]
id = "social"
name = {{ sv = "Socialtjänsten", en = "Social services" }}
email = "social@test.example"
waiting_area = {{ sv = "Väntrummet på plan 2", en = "The waiting room on floor 2" }}

[[directory.officers]]
id = "a-lind"
name = "Anna Lind"
unit = "social"
email = "anna.lind@test.example"
chat_webhook = "{provider}/hook/a-lind"
language = "sv"
booking_codes = ["4711"]

[[directory.officers]]
id = "j-smith"
name = "John Smith"
email = "john.smith@test.example"
language = "en"

[plugins.notify]
retry_delays_seconds = {retry_delays}
lease_seconds = {lease_seconds}
poll_seconds = 0.05

[plugins.notify.channels.email]
type = "email"
host = "127.0.0.1"
port = {smtp_port}
security = "none"
from_address = "noreply@test.example"
timeout_seconds = 5

[plugins.notify.channels.sms]
type = "sms"
api_url = "{provider}/a1"
username = "u123"
password_env = "MBK_TEST_SMS_PASSWORD"
sender = "Skarholmen"
delivery_token_env = "MBK_TEST_SMS_REPORT_TOKEN"
timeout_seconds = 5

[plugins.notify.channels.chat]
type = "webhook"
timeout_seconds = 5

{rules}
"""

DEFAULT_RULES = """\
[[plugins.notify.rules]]
event = "visitor.arrived"
to = "officer_or_unit"
channel = "email"

[[plugins.notify.rules]]
event = "visitor.arrived"
to = "officer"
channel = "chat"

[[plugins.notify.rules]]
event = "ticket.near"
to = "visitor"
channel = "sms"

[[plugins.notify.rules]]
event = "ticket.called"
to = "visitor"
channel = "sms"
"""

SMS_PASSWORD = "sms-secret"
REPORT_TOKEN = "report-token-0123456789"


def write_deployment(root: Any, *, smtp_port: int, provider: str, rules: str = DEFAULT_RULES,
                     max_attempts: int = 3, lease_seconds: float = 5, office: str = "testoffice",
                     enabled: tuple[str, ...] = ("notify",)) -> Any:
    """A deployment folder with one office whose notify settings point at the loopback servers."""
    (root / "offices").mkdir(parents=True, exist_ok=True)
    (root / "platform.toml").write_text('[platform]\nname = { sv = "Test", en = "Test" }\n')
    (root / "offices" / f"{office}.toml").write_text(OFFICE_TOML.format(
        office=office, smtp_port=smtp_port, provider=provider, rules=rules,
        retry_delays=json.dumps([min(0.2, 0.05 * 2 ** n) for n in range(max_attempts - 1)]),
        lease_seconds=lease_seconds, enabled=json.dumps(list(enabled))))
    return root
