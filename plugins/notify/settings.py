"""Per-office settings of the notify plugin: channels, rules (event → recipient → channel), retries, retention.

Secrets never live in the settings file: a channel names the environment variable that holds each one
(``password_env``, ``delivery_token_env``, ``token_env``).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, ValidatorFunctionWrapHandler, field_validator
from pydantic_core import InitErrorDetails

from core.config import StrictModel

# Events the plugin has message templates for (rules may name only these).
MESSAGE_EVENTS = ("visitor.arrived", "arrival.escalated", "ticket.issued", "ticket.near", "ticket.called",
                  "device.offline", "device.online", "appointment.booked", "appointment.reminder")
# Recipient kinds a rule's ``to`` may name; "officer:<id>" and "unit:<id>" name a fixed recipient.
RECIPIENT_KINDS = ("officer", "unit", "officer_or_unit", "visitor")


class EmailChannel(StrictModel):
    """E-mail over SMTP."""

    type: Literal["email"]
    host: str
    port: int = Field(default=587, ge=1, le=65535)
    # starttls: plain connection upgraded with STARTTLS (port 587); tls: TLS from the start (465);
    # none: only for a relay on the same host.
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password_env: str | None = None
    from_address: str
    # A private CA's certificate (PEM) for servers inside the city's network.
    ca_file: str | None = None
    timeout_seconds: float = Field(default=10, gt=0, le=120)

    @field_validator("from_address")
    @classmethod
    def _looks_like_address(cls, value: str) -> str:
        if "@" not in value:
            raise ValueError("must be an e-mail address")
        return value


class SmsChannel(StrictModel):
    """SMS through an HTTP API of 46elks's shape: POST {api_url}/sms, form-encoded, basic auth."""

    type: Literal["sms"]
    api_url: str = "https://api.46elks.com/a1"
    username: str
    password_env: str
    sender: str
    max_segments: int = Field(default=2, ge=1, le=2)
    # Set to ask the provider for delivery reports, authenticated with this token (basic auth password).
    delivery_token_env: str | None = None
    timeout_seconds: float = Field(default=10, gt=0, le=120)

    @field_validator("sender")
    @classmethod
    def _sender(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,10}|\+[1-9][0-9]{6,14}", value):
            raise ValueError("a sender is up to 11 letters and digits starting with a letter, or a phone number "
                             "in E.164 (+46…)")
        return value

    @field_validator("api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")


class WebhookChannel(StrictModel):
    """A JSON POST ({"text": ...}), which chat tools' incoming webhooks accept."""

    type: Literal["webhook"]
    # A fixed URL (a team's channel); without it, the recipient's own ``chat_webhook`` from the directory.
    url: str | None = None
    token_env: str | None = None
    timeout_seconds: float = Field(default=10, gt=0, le=120)


Channel = Annotated[EmailChannel | SmsChannel | WebhookChannel, Field(discriminator="type")]
CHANNEL_TYPES = ("email", "sms", "webhook")


class Rule(StrictModel):
    """When ``event`` happens, send to ``to`` over ``channel``."""

    event: str
    to: str
    channel: str

    @field_validator("to")
    @classmethod
    def _recipient(cls, value: str) -> str:
        kind, _, ref = value.partition(":")
        if ref and kind in ("officer", "unit"):
            return value
        if not ref and kind in RECIPIENT_KINDS:
            return value
        raise ValueError(f"unknown recipient (use {', '.join(RECIPIENT_KINDS)}, officer:<id> or unit:<id>)")


class Retention(StrictModel):
    # A visitor's phone number is deleted when the ticket ends, and at the latest after this many hours.
    visitor_contact_hours: int = Field(default=24, ge=1)
    # The delivery log (status and timestamps, no content) is deleted after this many days.
    log_days: int = Field(default=90, ge=1)


DEFAULT_RETRY_DELAYS = (5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 640.0, 900.0)


class NotifySettings(StrictModel):
    channels: dict[str, Channel] = {}
    rules: tuple[Rule, ...] = ()
    # The retry schedule, spelled out: after a failed attempt, wait the next of these delays (plus up to a fifth
    # more, so that many messages failing together do not all come back at once) and try again; a failure after
    # the last one makes the message "failed". A provider's Retry-After wins when it is longer. The default
    # covers 36 minutes: an outage of half an hour loses nothing.
    retry_delays_seconds: tuple[float, ...] = Field(default=DEFAULT_RETRY_DELAYS, max_length=50)
    # A message being sent is leased; the sender renews the lease while it sends. If the process dies mid-send,
    # another picks the message up once the lease has run out.
    lease_seconds: float = Field(default=60, gt=0)
    # How often the sender looks for due messages when nothing wakes it.
    poll_seconds: float = Field(default=2, gt=0)
    retention: Retention = Retention()

    @field_validator("retry_delays_seconds")
    @classmethod
    def _positive_delays(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(delay <= 0 for delay in value):
            raise ValueError("every delay must be more than 0 seconds")
        return value

    @property
    def max_attempts(self) -> int:
        return len(self.retry_delays_seconds) + 1

    @field_validator("channels", mode="wrap")
    @classmethod
    def _channel_key_paths(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """Report ``channels.<name>.<key>``: pydantic puts the union's tag (the type) in between."""
        try:
            return handler(value)
        except ValidationError as exc:
            errors = []
            for error in exc.errors():
                loc = list(error["loc"])
                if len(loc) > 2 and loc[1] in CHANNEL_TYPES:
                    del loc[1]
                errors.append(InitErrorDetails(type=error["type"], loc=tuple(loc), input=error["input"],
                                               ctx=error.get("ctx", {})))
            raise ValidationError.from_exception_data(exc.title, errors) from None
