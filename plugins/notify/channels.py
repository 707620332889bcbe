"""Channels: one small interface (``send(message) -> SendResult``) and its SMTP, 46elks and webhook versions.

A result says whether a failure is worth retrying and for how long the provider asked us to wait, because
the retry rules depend on exactly that: 408, 429 and 5xx are retried (honouring Retry-After), other 4xx are
not. Errors carry an HTTP status, an SMTP code or an exception class, never an address or message text.
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, parsedate_to_datetime
from typing import Protocol

import httpx

from core import qr
from plugins.notify.settings import EmailChannel, SmsChannel, WebhookChannel

RETRYABLE_HTTP = {408, 429}


@dataclass(frozen=True)
class OutgoingMessage:
    address: str
    body: str
    subject: str | None = None
    # The message's idempotency key: the e-mail Message-ID is derived from it, stable across retries.
    reference: str = ""
    # E-mail only: content shown as a QR code (a PNG beside the text), e.g. a booking code for the kiosk's scanner.
    qr: str | None = None
    # E-mail only: an iCalendar file (text) attached as text/calendar, e.g. a booking for the visitor's calendar.
    ics: str | None = None


@dataclass(frozen=True)
class SendResult:
    ok: bool
    retryable: bool = False
    error: str | None = None
    retry_after: float | None = None
    provider_id: str | None = None

    @classmethod
    def sent(cls, provider_id: str | None = None) -> SendResult:
        return cls(ok=True, provider_id=provider_id)

    @classmethod
    def retry(cls, error: str, retry_after: float | None = None) -> SendResult:
        return cls(ok=False, retryable=True, error=error, retry_after=retry_after)

    @classmethod
    def permanent(cls, error: str) -> SendResult:
        return cls(ok=False, retryable=False, error=error)


class Channel(Protocol):
    def send(self, message: OutgoingMessage) -> SendResult: ...


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def classify_response(response: httpx.Response) -> SendResult:
    status = response.status_code
    if 200 <= status < 300:
        return SendResult.sent()
    error = f"HTTP {status}"
    if status in RETRYABLE_HTTP or status >= 500:
        return SendResult.retry(error, parse_retry_after(response.headers.get("retry-after")))
    return SendResult.permanent(error)


def _post(client: httpx.Client, url: str, timeout: float, **kwargs: object) -> httpx.Response | SendResult:
    try:
        return client.post(url, timeout=timeout, **kwargs)  # type: ignore[arg-type]
    except httpx.HTTPError as exc:  # connection refused, timeout, protocol error: all worth another try
        return SendResult.retry(type(exc).__name__)


class SmtpChannel:
    """E-mail over SMTP with STARTTLS (or TLS) and authentication when configured."""

    def __init__(self, config: EmailChannel, password: str | None):
        self.config = config
        self.password = password

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.config.ca_file)

    def _email(self, message: OutgoingMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.config.from_address
        email["To"] = message.address
        email["Subject"] = message.subject or ""
        email["Date"] = format_datetime(datetime.now(UTC))
        domain = self.config.from_address.rpartition("@")[2]
        email["Message-ID"] = f"<mbk-{hashlib.sha256(message.reference.encode()).hexdigest()[:32]}@{domain}>"
        email["Auto-Submitted"] = "auto-generated"
        email.set_content(message.body)
        if message.qr:
            email.add_attachment(qr.png(message.qr), maintype="image", subtype="png", filename="qr-code.png",
                                 disposition="inline")
        if message.ics:
            # Named after the booking code when the message has one (the QR code shows it).
            name = f"booking-{message.qr}.ics" if message.qr else "booking.ics"
            email.add_attachment(message.ics.encode(), maintype="text", subtype="calendar", filename=name,
                                 params={"method": "PUBLISH", "charset": "utf-8"})
        return email

    def send(self, message: OutgoingMessage) -> SendResult:
        config = self.config
        try:
            if config.security == "tls":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout_seconds,
                                                      context=self._tls_context())
            else:
                smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
            with smtp:
                if config.security == "starttls":
                    smtp.starttls(context=self._tls_context())
                if config.username:
                    smtp.login(config.username, self.password or "")
                smtp.send_message(self._email(message))
        except smtplib.SMTPRecipientsRefused as exc:
            code = next(iter(exc.recipients.values()))[0]
            return _smtp_result(code, "recipient refused")
        except smtplib.SMTPNotSupportedError:
            return SendResult.permanent("SMTP server does not offer STARTTLS or AUTH")
        except smtplib.SMTPResponseException as exc:
            return _smtp_result(exc.smtp_code, type(exc).__name__)
        except ssl.SSLCertVerificationError:
            return SendResult.permanent("SMTP server certificate not trusted")
        except (smtplib.SMTPException, OSError) as exc:  # refused, reset, timeout, disconnected
            return SendResult.retry(type(exc).__name__)
        return SendResult.sent()


def _smtp_result(code: int, what: str) -> SendResult:
    error = f"SMTP {code} {what}"
    return SendResult.retry(error) if 400 <= code < 500 else SendResult.permanent(error)


class FortySixElksChannel:
    """SMS with 46elks's API shape: POST {api_url}/sms, form-encoded from/to/message, HTTP basic auth."""

    def __init__(self, config: SmsChannel, password: str | None, report_url: str | None, client: httpx.Client):
        self.config = config
        self.password = password
        self.report_url = report_url
        self.client = client

    def send(self, message: OutgoingMessage) -> SendResult:
        data = {"from": self.config.sender, "to": message.address, "message": message.body}
        if self.report_url:
            data["whendelivered"] = self.report_url
        response = _post(self.client, f"{self.config.api_url}/sms", self.config.timeout_seconds, data=data,
                         auth=(self.config.username, self.password or ""))
        if isinstance(response, SendResult):
            return response
        result = classify_response(response)
        if not result.ok:
            return result
        try:
            provider_id = response.json().get("id")
        except ValueError:
            provider_id = None
        return SendResult.sent(str(provider_id) if provider_id else None)


class JsonWebhookChannel:
    """A JSON POST {"text": ...}: the shape incoming webhooks of chat tools take."""

    def __init__(self, config: WebhookChannel, token: str | None, client: httpx.Client):
        self.config = config
        self.token = token
        self.client = client

    def send(self, message: OutgoingMessage) -> SendResult:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = _post(self.client, message.address, self.config.timeout_seconds, json={"text": message.body},
                         headers=headers)
        if isinstance(response, SendResult):
            return response
        return classify_response(response)
