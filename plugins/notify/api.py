"""Notify's API: the SMS provider's delivery reports, and today's messages with "retry now" for staff."""

from __future__ import annotations

import base64
import binascii
import secrets
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from core import auth
from core.auth import Principal
from core.config import OfficeConfig, env_secret
from core.problems import NotFound, Unauthorized
from core.web.deps import OfficeDep, RowId, SessionDep
from core.web.security import require
from plugins.notify import service
from plugins.notify.settings import SmsChannel
from plugins.notify.worker import wake_senders

api = APIRouter()


class DeliveryReportRecorded(BaseModel):
    status: Literal["recorded"] = "recorded"


class MessageSummary(BaseModel):
    """What the log shows about a message: never its address or text."""

    id: int
    event: str
    channel: str
    recipient: str
    status: str
    attempts: int
    error: str | None
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    retryable: bool

    @classmethod
    def of(cls, row: Any) -> MessageSummary:
        return cls(id=row.id, event=row.event_type, channel=row.channel, recipient=row.recipient,
                   status=row.status, attempts=row.attempts, error=row.last_error, created_at=row.created_at,
                   sent_at=row.sent_at, delivered_at=row.delivered_at,
                   retryable=row.status == "failed" and row.body is not None and row.address is not None)


def _basic_password(request: Request) -> str | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(encoded, validate=True).decode().partition(":")[2]
    except (binascii.Error, UnicodeDecodeError):
        return None


@api.post("/sms/{channel}/report")
def sms_delivery_report(channel: str, request: Request, id: Annotated[str, Form(max_length=100)],
                        status: Annotated[str, Form(max_length=32)], office: OfficeDep, session: SessionDep
                        ) -> DeliveryReportRecorded:
    """46elks's delivery report (form-encoded ``id``, ``status``), authenticated by the channel's token as the
    basic-auth password (the provider is given a URL with it)."""
    config = service.settings_of(office).channels.get(channel)
    if not isinstance(config, SmsChannel) or not config.delivery_token_env:
        raise NotFound("not_found", f"No SMS channel {channel!r} with delivery reports at this office.")
    expected = env_secret(config.delivery_token_env)
    given = _basic_password(request)
    if not expected or given is None or not secrets.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("unauthorized", "Wrong or missing delivery report token.", challenge='Basic realm="notify"')
    if not service.record_delivery_report(session, office.id, channel, id, status):
        raise NotFound("not_found", f"No message with provider id {id!r} on channel {channel!r}.")
    return DeliveryReportRecorded()


@api.get("/messages")
def list_messages(request: Request, office: OfficeDep, session: SessionDep,
                  principal: Principal = Depends(require("admin", "viewer"))) -> list[MessageSummary]:
    """Today's messages at the office (in its time zone), newest first, without addresses or texts."""
    return [MessageSummary.of(m) for m in service.todays_messages(session, office)]


def retry(session: Session, office: OfficeConfig, principal: Principal, message_id: int) -> MessageSummary:
    """Queue a failed message again (shared by the API and the staff page); committed before the senders wake."""
    row = service.retry_message(session, office.id, message_id)
    auth.audit(session, principal, "notify.retry", office.id, message=message_id)
    summary = MessageSummary.of(row)
    session.commit()
    wake_senders()
    return summary


@api.post("/messages/{message_id}/retry")
def retry_message(message_id: RowId, office: OfficeDep, session: SessionDep,
                  principal: Principal = Depends(require("admin"))) -> MessageSummary:
    return retry(session, office, principal, message_id)
