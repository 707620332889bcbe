"""The sender: a thread that claims due messages, sends them over their channel and records the result.

Started by ``mbk_startup`` in every web process that runs background work (``MBK_RUN_DISPATCHER``), or alone
with ``mbk notify run``. Several senders (processes) may run at once: claims are leased rows (PostgreSQL:
FOR UPDATE SKIP LOCKED; SQLite: one writer), so each message is handled by one of them, and a lease is renewed
while its message is being sent, so a slow send is never taken over and sent twice.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from core.config import Deployment, OfficeConfig, env_secret
from core.db import Database, utcnow
from plugins.notify import service
from plugins.notify.channels import (
    Channel,
    FortySixElksChannel,
    JsonWebhookChannel,
    OutgoingMessage,
    SendResult,
    SmtpChannel,
)
from plugins.notify.settings import EmailChannel, SmsChannel

log = logging.getLogger(__name__)
_running: weakref.WeakSet[Sender] = weakref.WeakSet()


class HideUrlPaths(logging.Filter):
    """httpx logs every request's full URL at INFO; a chat webhook's path is its secret. Keep the host only."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > 1 and isinstance(args[1], httpx.URL):
            record.args = (args[0], f"{args[1].scheme}://{args[1].netloc.decode()}/…", *args[2:])
        return True


def hide_url_paths_in_httpx_log() -> None:
    httpx_log = logging.getLogger("httpx")
    if not any(isinstance(f, HideUrlPaths) for f in httpx_log.filters):
        httpx_log.addFilter(HideUrlPaths())


def wake_senders() -> None:
    """New messages were committed: senders in this process look at once instead of at their next poll."""
    for sender in list(_running):
        sender.wake()


def delivery_report_url(base_url: str, office_id: str, channel: str, token: str) -> str:
    """Where the SMS provider posts delivery reports, with the token as basic-auth password in the URL."""
    parts = urlsplit(base_url.rstrip("/"))
    netloc = f"notify:{quote(token, safe='')}@{parts.netloc}"
    path = f"{parts.path}/api/v1/offices/{office_id}/notify/sms/{channel}/report"
    return urlunsplit((parts.scheme, netloc, path, "", ""))


def build_channel(office: OfficeConfig, name: str, base_url: str, client: httpx.Client) -> Channel:
    config = service.settings_of(office).channels[name]
    if isinstance(config, EmailChannel):
        return SmtpChannel(config, env_secret(config.password_env) if config.password_env else None)
    if isinstance(config, SmsChannel):
        token = env_secret(config.delivery_token_env) if config.delivery_token_env else None
        report_url = delivery_report_url(base_url, office.id, name, token) if token else None
        return FortySixElksChannel(config, env_secret(config.password_env), report_url, client)
    return JsonWebhookChannel(config, env_secret(config.token_env) if config.token_env else None, client)


class Sender:
    def __init__(self, database: Database, deployment: Deployment, base_url: str, batch: int = 32,
                 concurrency: int = 8):
        self.database = database
        self.offices = {o.id: o for o in deployment.offices.values() if o.enables("notify")}
        self.base_url = base_url
        self.batch = batch
        # Sending is waiting on the network: a few recipients' messages of a batch go out at once.
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="mbk-notify-send")
        self.client = httpx.Client(follow_redirects=False)
        hide_url_paths_in_httpx_log()
        self._channels: dict[tuple[str, str], Channel] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- lifecycle ---

    def start(self) -> None:
        _running.add(self)
        self._thread = threading.Thread(target=self.run_forever, name="mbk-notify", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=15)
        _running.discard(self)
        self.pool.shutdown(wait=True)
        self.client.close()

    def wake(self) -> None:
        self._wake.set()

    def run_forever(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self.run_once()
                wait = 0.0 if busy else self._idle_seconds()
            except Exception as exc:  # a broken pass must not end the thread; the next pass tries again
                # Only the class: a database error's text carries the row's values (addresses, texts).
                log.error("notify sender pass failed (%s); trying again", type(exc).__name__)
                wait = self._poll_seconds()
            if wait > 0:
                self._wake.wait(timeout=wait)
                self._wake.clear()

    def _poll_seconds(self) -> float:
        return min((service.settings_of(o).poll_seconds for o in self.offices.values()), default=2.0)

    def _idle_seconds(self) -> float:
        with self.database.session() as session:
            due_in = service.seconds_until_due(session, self.offices, utcnow())
        poll = self._poll_seconds()
        return poll if due_in is None else min(poll, due_in + 0.005)

    # --- work ---

    def run_once(self) -> int:
        """Claim a batch of due messages, send each and record the result. Returns how many were handled."""
        if not self.offices:
            return 0
        with self.database.session() as session:
            claimed = service.claim_due(session, self.offices, utcnow(), self.batch)
        if not claimed:
            return 0
        groups: dict[str, list[service.ClaimedMessage]] = defaultdict(list)
        for message in claimed:
            groups[message.group].append(message)
        with LeaseKeeper(self.database, self.offices) as leases:
            list(self.pool.map(lambda group: self._send_group(group, leases), groups.values()))
        return len(claimed)

    def _send_group(self, messages: list[service.ClaimedMessage], leases: LeaseKeeper) -> None:
        for message in sorted(messages, key=lambda m: m.id):
            if self._stop.is_set():
                return  # the rest stay leased, and are picked up again when their lease ends
            if not leases.hold(message):
                continue  # its lease ran out while it waited its turn, and another sender took it
            try:
                result = self._send(message)
            finally:
                leases.release(message)
            office = self.offices[message.office_id]
            # Recorded at once, one message per transaction: a crash now repeats at most this one message.
            with self.database.session() as session:
                service.record_result(session, message, result, service.settings_of(office))

    def _send(self, message: service.ClaimedMessage) -> SendResult:
        if message.address is None or message.body is None:
            return SendResult.permanent("no address or text")
        office = self.offices[message.office_id]
        try:
            channel = self._channel(office, message.channel)
            return channel.send(OutgoingMessage(address=message.address, body=message.body,
                                                subject=message.subject, reference=message.reference,
                                                qr=message.qr, ics=message.ics))
        except KeyError:
            return SendResult.permanent(f"channel {message.channel!r} is no longer configured")
        except Exception as exc:  # an unexpected error in a channel: retry, and never log its text (personal data)
            log.error("notify message %s: unexpected %s in channel %s", message.id, type(exc).__name__,
                      message.channel)
            return SendResult.retry(type(exc).__name__)

    def _channel(self, office: OfficeConfig, name: str) -> Channel:
        key = (office.id, name)
        if key not in self._channels:
            self._channels[key] = build_channel(office, name, self.base_url, self.client)
        return self._channels[key]


class LeaseKeeper:
    """Keeps the leases of the messages being sent alive: renewed just before a message is sent, then every
    quarter of its lease until the send ends, so that no send, however slow, is taken over by another sender
    (three renewals may come late before the lease runs out).

    Renewing each message only when its turn comes lets the rest of a batch go to other senders if this
    one falls behind."""

    def __init__(self, database: Database, offices: dict[str, OfficeConfig]):
        self.database = database
        self.offices = offices
        self.interval = min(service.settings_of(o).lease_seconds for o in offices.values()) / 4
        self._sending: dict[int, service.ClaimedMessage] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew_forever, name="mbk-notify-lease", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def hold(self, message: service.ClaimedMessage) -> bool:
        """Renew the message's lease now; False if this sender no longer holds it."""
        with self.database.session() as session:
            if not service.renew_leases(session, [message], self.offices, utcnow()):
                log.warning("notify message %s: lease lost before sending; left to the sender that took it",
                            message.id)
                return False
        with self._lock:
            self._sending[message.id] = message
        return True

    def release(self, message: service.ClaimedMessage) -> None:
        with self._lock:
            self._sending.pop(message.id, None)

    def _renew_forever(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                sending = list(self._sending.values())
            if not sending:
                continue
            try:
                with self.database.session() as session:
                    service.renew_leases(session, sending, self.offices, utcnow())
            except Exception as exc:  # the next round tries again; the lease still has three quarters left
                log.error("notify lease renewal failed (%s)", type(exc).__name__)


def start_sender(context: Any) -> Sender | None:
    if not context.settings.run_dispatcher:
        return None
    sender = Sender(context.db, context.deployment, context.settings.base_url)
    if not sender.offices:
        return None
    sender.start()
    return sender
