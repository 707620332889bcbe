"""What staff see of the message log (panel and page): computed here, rendered by templates without logic (the
panel by core, from notify/panel.html)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from core.config import OfficeConfig
from core.hookspecs import AdminPanel, Failure
from plugins.notify import service
from plugins.notify.messages import translations
from plugins.notify.models import STATUSES, NotifyMessage

PANEL_ROWS = 15


def status_label(status: str, language: str) -> str:
    _ = translations.gettext(language)
    return {"pending": _("Waiting to be sent"), "sending": _("Sending"), "sent": _("Sent"),
            "delivered": _("Delivered"), "failed": _("Failed"), "cancelled": _("Cancelled")}[status]


@dataclass(frozen=True)
class MessageRow:
    id: int
    time: str
    event: str
    channel: str
    recipient: str
    status: str
    status_label: str
    attempts: int
    error: str
    retryable: bool


def _recipient_label(office: OfficeConfig, recipient: str, language: str) -> str:
    kind, _, ref = recipient.partition(":")
    if kind == "officer" and (officer := office.directory.officer(ref)):
        return officer.name
    if kind == "unit" and (unit := office.directory.unit(ref)):
        return unit.name.get_text(language)
    _ = translations.gettext(language)
    return _("Visitor") if kind == "visitor" else recipient


def message_rows(messages: Iterable[NotifyMessage], office: OfficeConfig, language: str,
                 event_label: Callable[[str], str]) -> list[MessageRow]:
    """The log's rows in ``language``; ``event_label`` names each message's event type (core's, from its
    publisher's label)."""
    return [MessageRow(id=m.id, time=m.created_at.astimezone(office.tz).strftime("%H:%M"),
                       event=event_label(m.event_type),
                       channel=m.channel, recipient=_recipient_label(office, m.recipient, language), status=m.status,
                       status_label=status_label(m.status, language), attempts=m.attempts, error=m.last_error or "",
                       retryable=m.status == "failed" and m.body is not None and m.address is not None)
            for m in messages]


def admin_panel(office: OfficeConfig, session: Session, language: str,
                event_label: Callable[[str], str]) -> AdminPanel:
    messages = service.todays_messages(session, office)
    counts = Counter(m.status for m in messages)
    _ = translations.gettext(language)
    return AdminPanel(id="notify", title=_("Messages today"), template="notify/panel.html", order=50, context={
        "rows": message_rows(messages[:PANEL_ROWS], office, language, event_label), "total": len(messages),
        "counts": [(status_label(s, language), counts[s]) for s in STATUSES if counts[s]],
        "failed": counts["failed"], "page": f"/{office.id}/notify/messages"})


def failures(office: OfficeConfig, session: Session, language: str, now: datetime,
             event_label: Callable[[str], str]) -> list[Failure]:
    """Messages that could not be sent, for the admins' "What failed" page (core's), with notify's retry."""
    _ = translations.gettext(language)
    found = service.failed_messages(session, office, now)
    return [Failure(id=f"message-{row.id}", kind=_("Message"), at=message.created_at, error=row.error,
                    attempts=row.attempts, summary=f"{row.event} → {row.recipient} ({row.channel})",
                    retry_path=f"/{office.id}/notify/messages/{row.id}/retry" if row.retryable else None,
                    page=f"/{office.id}/notify/messages")
            for message, row in zip(found, message_rows(found, office, language, event_label), strict=True)]
