"""Domain logic of notify: events become message rows; the sender claims, sends and records them.

Never lost: a message is a row written in the event delivery's own transaction, so it exists iff the event
was handled; the sender works only from rows. Never doubled: one row per (event, rule, recipient) by a unique
idempotency key; a row is leased while being sent and recorded only by the holder of the lease.
Privacy: a message's address and text are cleared once it is sent; a visitor's phone number is deleted when
the ticket ends; errors and logs hold ids, statuses and codes, never an address, a name or a text.
"""

from __future__ import annotations

import logging
import random
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from core.config import ConfigProblem, OfficeConfig, Officer, Unit, env_secret
from core.db import insert_ignore, locked, upsert, utcnow
from core.events import Event, EventTypes, publish
from core.hookspecs import Addressee
from core.problems import Conflict, NotFound
from plugins.notify.bookings import BOOKING_CHANGE_EVENTS, BOOKING_EVENTS, booking_address, booking_values
from plugins.notify.channels import SendResult
from plugins.notify.events import MessageFailed, MessageSent
from plugins.notify.messages import fit_sms, render_message, safe_first_name
from plugins.notify.models import NotifyContact, NotifyMessage
from plugins.notify.settings import (
    MESSAGE_EVENTS,
    EmailChannel,
    NotifySettings,
    Rule,
    SmsChannel,
    WebhookChannel,
)

log = logging.getLogger(__name__)

TICKET_END_EVENTS = ("ticket.done", "ticket.no_show", "ticket.cancelled")
# ticket.issued carries no phone number (a visitor asks for texts later): only these can reach a visitor.
VISITOR_EVENTS = ("ticket.near", "ticket.called", *BOOKING_EVENTS)
ARRIVAL_EVENTS = ("visitor.arrived", "arrival.escalated")
SECRET_FIELDS = ("password_env", "delivery_token_env", "token_env")
RETRY_JITTER = 0.2  # a retry comes up to a fifth later than its scheduled delay


def settings_of(office: OfficeConfig) -> NotifySettings:
    return office.settings_for("notify") or NotifySettings()


# --- Configuration checks ------------------------------------------------------------------------------


def validate_office(office: OfficeConfig, event_types: EventTypes) -> list[ConfigProblem]:
    """Rules naming an unknown event (one without a message, or one no installed plugin publishes: the
    registered ``event_types``), channel, officer or unit, recipients a channel cannot reach, unset secrets."""
    settings = settings_of(office)
    file = str(office.source)
    problems: list[ConfigProblem] = []
    for name, channel in settings.channels.items():
        for field in SECRET_FIELDS:
            variable = getattr(channel, field, None)
            if variable and env_secret(variable) is None:
                problems.append(ConfigProblem(file, f"plugins.notify.channels.{name}.{field}",
                                              f"environment variable {variable} is not set"))
        if isinstance(channel, EmailChannel) and channel.ca_file and not Path(channel.ca_file).is_file():
            problems.append(ConfigProblem(file, f"plugins.notify.channels.{name}.ca_file",
                                          f"no such file: {channel.ca_file}"))
    for index, rule in enumerate(settings.rules):
        where = f"plugins.notify.rules[{index}]"
        if rule.event not in MESSAGE_EVENTS:
            problems.append(ConfigProblem(file, f"{where}.event", f"unknown event {rule.event!r} (events with "
                                          f"messages: {', '.join(MESSAGE_EVENTS)})"))
        elif rule.event not in event_types:
            problems.append(ConfigProblem(file, f"{where}.event", f"no installed plugin publishes {rule.event!r} "
                                          f"(published: {', '.join(sorted(event_types)) or 'nothing'})"))
        channel = settings.channels.get(rule.channel)
        if channel is None:
            known = ", ".join(sorted(settings.channels)) or "none configured"
            problems.append(ConfigProblem(file, f"{where}.channel", f"unknown channel {rule.channel!r} "
                                          f"(channels: {known})"))
        if rule.event in MESSAGE_EVENTS:
            problems += _recipient_problems(office, rule, channel, file, f"{where}.to")
    return problems


def _recipient_problems(office: OfficeConfig, rule: Rule, channel: Any, file: str, where: str) -> list[ConfigProblem]:
    kind, _, ref = rule.to.partition(":")
    problem = None
    if kind == "visitor":
        if rule.event not in VISITOR_EVENTS:
            problem = f"event {rule.event!r} has no visitor to send to (visitor messages: {', '.join(VISITOR_EVENTS)})"
        elif rule.event in BOOKING_EVENTS:
            if channel is not None and not isinstance(channel, (EmailChannel, SmsChannel)):
                problem = "a visitor with a booking is reached by e-mail or SMS (the contact given when booking)"
        elif channel is not None and not isinstance(channel, SmsChannel):
            problem = "a visitor can only be reached by SMS (their phone number from the ticket)"
    elif kind in ("officer", "unit") and ref:
        directory = office.directory
        entry = directory.officer(ref) if kind == "officer" else directory.unit(ref)
        if entry is None:
            entries = directory.officers if kind == "officer" else directory.units
            known = ", ".join(e.id for e in entries) or "none in [directory]"
            problem = f"unknown {kind} {ref!r} ({kind}s: {known})"
        elif channel is not None and address_for(entry, channel) is None:
            problem = f"{kind} {ref!r} has no address for a {channel.type} channel in [directory]"
    elif rule.event not in ARRIVAL_EVENTS:
        problem = f"event {rule.event!r} names no officer or unit; use officer:<id> or unit:<id>"
    return [ConfigProblem(file, where, problem)] if problem else []


def address_for(person: Officer | Unit, channel: Any) -> str | None:
    if isinstance(channel, EmailChannel):
        return person.email
    if isinstance(channel, SmsChannel):
        return person.phone
    if isinstance(channel, WebhookChannel):
        return channel.url or getattr(person, "chat_webhook", None)
    return None


# --- Events → message rows (quick, no network) --------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    ref: str  # officer:<id>, unit:<id> or visitor
    address: str | None
    language: str
    waiting_area: str | None = None


def handled_events(office: OfficeConfig) -> set[str]:
    """The event types ``handle_event`` acts on at this office: its rules' events, and those that end what an
    earlier message was about."""
    rules = settings_of(office).rules
    return {*TICKET_END_EVENTS, *BOOKING_CHANGE_EVENTS, "ticket.near", *(rule.event for rule in rules)}


def handle_event(event: Event, office: OfficeConfig, session: Session) -> int:
    """Write the messages the office's rules ask for; returns how many new rows. Idempotent per event."""
    payload = event.payload
    if event.type in TICKET_END_EVENTS:
        forget_ticket(session, office.id, str(payload.get("ticket_id")))
        return 0
    if event.type in BOOKING_CHANGE_EVENTS and payload.get("appointment_id"):
        forget_booking_messages(session, office.id, str(payload["appointment_id"]), event.type)
    settings = settings_of(office)
    texts_visitors = any(rule.to == "visitor" for rule in settings.rules)
    if texts_visitors and event.type == "ticket.near" and payload.get("phone") and payload.get("ticket_id"):
        # Kept for the ticket's later messages (ticket.called) only when a rule will text the visitor.
        _remember_phone(session, office.id, str(payload["ticket_id"]), str(payload["phone"]))
    written = 0
    for index, rule in enumerate(settings.rules):
        channel = settings.channels.get(rule.channel)
        if rule.event != event.type or channel is None:
            continue
        for recipient in _recipients(session, office, rule, channel, payload):
            if recipient.address is None:
                continue  # e.g. an officer who takes no chat messages: the rule's other channels reach them
            written += _insert_message(session, office, event, index, rule, channel, recipient)
    return written


def _recipients(session: Session, office: OfficeConfig, rule: Rule, channel: Any,
                payload: dict[str, Any]) -> list[Recipient]:
    if rule.to == "visitor" and rule.event in BOOKING_EVENTS:
        address = booking_address(channel, payload)
        return [Recipient("visitor", address, _language(office, payload.get("language")))] if address else []
    if rule.to == "visitor":
        ticket_id = payload.get("ticket_id")
        phone = payload.get("phone") or (_stored_phone(session, office.id, str(ticket_id)) if ticket_id else None)
        if not phone:
            return []  # the visitor did not ask for text messages
        return [Recipient("visitor", phone, _language(office, payload.get("language")))]
    return _directory_recipients(office, rule, channel, payload)


def _directory_recipients(office: OfficeConfig, rule: Rule, channel: Any, payload: dict[str, Any]) -> list[Recipient]:
    """The officer or unit a rule names, or the one the event names (``officer_id``, ``unit_id``)."""
    kind, _, ref = rule.to.partition(":")
    directory = office.directory
    officer = directory.officer(ref) if kind == "officer" and ref else None
    if kind in ("officer", "officer_or_unit") and not ref and payload.get("officer_id"):
        officer = directory.officer(str(payload["officer_id"]))
    unit = directory.unit(ref) if kind == "unit" and ref else None
    if (kind == "unit" and not ref) or (kind == "officer_or_unit" and officer is None):
        unit_id = payload.get("unit_id")
        if not unit_id and payload.get("officer_id"):
            named = directory.officer(str(payload["officer_id"]))
            unit_id = named.unit if named else None
        unit = directory.unit(str(unit_id)) if unit_id else None
    if officer is not None and kind != "unit":
        home = directory.unit(officer.unit) if officer.unit else None
        return [Recipient(f"officer:{officer.id}", address_for(officer, channel), officer.language,
                          _waiting_area(home, officer.language))]
    if unit is not None:
        language = office.default_language
        return [Recipient(f"unit:{unit.id}", address_for(unit, channel), language, _waiting_area(unit, language))]
    return []


def reach(office: OfficeConfig, event_type: str, addressee: Addressee) -> list[str]:
    """The channel types the office's rules would use to tell ``addressee`` of ``event_type`` (the
    ``mbk_message_reach`` hook): only rules that reach that very officer or their unit, or the visitor by SMS."""
    settings = settings_of(office)
    payload = {"officer_id": addressee.officer_id, "unit_id": addressee.unit_id}
    wanted = {f"officer:{addressee.officer_id}", f"unit:{addressee.unit_id}"}
    if addressee.officer_id and not addressee.unit_id:
        named = office.directory.officer(addressee.officer_id)
        wanted.add(f"unit:{named.unit if named else None}")
    found: list[str] = []
    for rule in settings.rules:
        channel = settings.channels.get(rule.channel)
        if rule.event != event_type or channel is None or (rule.to == "visitor") != addressee.visitor:
            continue
        if addressee.visitor:
            reached = isinstance(channel, (EmailChannel, SmsChannel) if event_type in BOOKING_EVENTS else SmsChannel)
        else:
            reached = any(r.address and r.ref in wanted for r in _directory_recipients(office, rule, channel, payload))
        if reached and channel.type not in found:
            found.append(channel.type)
    return found


def _waiting_area(unit: Unit | None, language: str) -> str | None:
    return unit.waiting_area.get_text(language) if unit is not None and unit.waiting_area else None


def _language(office: OfficeConfig, requested: object) -> str:
    return requested if isinstance(requested, str) and requested in office.languages else office.default_language


def _template_values(event: Event, office: OfficeConfig, recipient: Recipient) -> dict[str, Any]:
    payload = event.payload
    return {
        "office_name": office.name.get_text(recipient.language),
        "time": event.created_at.astimezone(office.tz).strftime("%H:%M"),
        "first_name": safe_first_name(payload.get("first_name")),
        "waiting_area": recipient.waiting_area,
        "number": str(payload.get("number", "")),
        "position": payload.get("position"),
        "counter_name": payload.get("counter_name") or payload.get("counter"),
        "acknowledge_url": payload.get("acknowledge_url"),
        "whom": _whom(office, payload, recipient.language),
        "device_name": payload.get("name"),  # device.offline and device.online
        "minutes": payload.get("minutes", payload.get("offline_minutes")),
        **booking_values(office, payload, recipient.language),
    }


def _whom(office: OfficeConfig, payload: dict[str, Any], language: str) -> str:
    """The officer (or unit) an arrival is for, by name, for messages to others about it."""
    officer = office.directory.officer(str(payload["officer_id"])) if payload.get("officer_id") else None
    unit = office.directory.unit(str(payload["unit_id"])) if payload.get("unit_id") else None
    return officer.name if officer else (unit.name.get_text(language) if unit else "")


def _insert_message(session: Session, office: OfficeConfig, event: Event, index: int, rule: Rule, channel: Any,
                    recipient: Recipient) -> int:
    row: dict[str, Any] = {
        "office_id": office.id, "idempotency_key": f"{event.id}:{index}:{recipient.ref}", "event_id": event.id,
        "event_type": event.type, "rule_index": index, "channel": rule.channel, "recipient": recipient.ref,
        "ticket_id": str(event.payload["ticket_id"]) if event.payload.get("ticket_id") else None,
        "arrival_id": str(event.payload["arrival_id"])[:64] if event.payload.get("arrival_id") else None,
        "appointment_id": str(event.payload["appointment_id"])[:64]
        if event.type in BOOKING_EVENTS and event.payload.get("appointment_id") else None,
        "language": recipient.language, "created_at": utcnow(), "next_attempt_at": utcnow(), "attempts": 0,
    }
    text = render_message(event.type, recipient.language, _template_values(event, office, recipient))
    if isinstance(channel, EmailChannel):
        row.update(subject=text.subject, body=text.body)
        if event.type in BOOKING_EVENTS and event.payload.get("code"):
            row.update(qr=str(event.payload["code"])[:64])  # the kiosk's scanner reads the booking code
        if event.type in BOOKING_EVENTS and isinstance(event.payload.get("ics"), str) and event.payload["ics"]:
            row.update(ics=event.payload["ics"])  # the booking for the visitor's calendar, as an attachment
    elif isinstance(channel, SmsChannel):
        row.update(body=fit_sms(text.short, channel.max_segments))
    else:
        row.update(body=text.short)
    row.update(status="pending", address=recipient.address)
    return insert_ignore(session, NotifyMessage, row, ["idempotency_key"])


def _remember_phone(session: Session, office_id: str, ticket_id: str, phone: str) -> None:
    upsert(session, NotifyContact, {"office_id": office_id, "ticket_id": ticket_id, "phone": phone,
                                    "created_at": utcnow()}, ["office_id", "ticket_id"], {"phone": phone})


def _stored_phone(session: Session, office_id: str, ticket_id: str) -> str | None:
    return session.scalar(select(NotifyContact.phone).where(NotifyContact.office_id == office_id,
                                                            NotifyContact.ticket_id == ticket_id))


def forget_booking_messages(session: Session, office_id: str, appointment_id: str, why: str) -> None:
    """The appointment was cancelled or moved: its visitor's confirmation or reminder still queued (waiting, or
    retrying after a failure) would tell a time that no longer holds, so it is cancelled; one being sent right
    now is not tried again if this send fails."""
    mine = and_(NotifyMessage.office_id == office_id, NotifyMessage.appointment_id == appointment_id,
                NotifyMessage.recipient == "visitor")
    session.execute(update(NotifyMessage).where(mine, NotifyMessage.status == "pending")
                    .values(status="cancelled", last_error=f"{why} first"))
    session.execute(update(NotifyMessage).where(mine, NotifyMessage.status.in_(("pending", "sending", "cancelled")))
                    .values(address=None, subject=None, body=None, qr=None, ics=None))


def forget_ticket(session: Session, office_id: str, ticket_id: str) -> None:
    """The ticket ended: delete the visitor's phone number and whatever of it is still queued."""
    session.execute(delete(NotifyContact).where(NotifyContact.office_id == office_id,
                                                NotifyContact.ticket_id == ticket_id))
    mine = and_(NotifyMessage.office_id == office_id, NotifyMessage.ticket_id == ticket_id,
                NotifyMessage.recipient == "visitor")
    session.execute(update(NotifyMessage).where(mine, NotifyMessage.status.in_(("pending", "failed")))
                    .values(status="cancelled", last_error="the ticket ended first"))
    session.execute(update(NotifyMessage).where(mine).values(address=None, subject=None, body=None, qr=None, ics=None))


# --- Sending ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimedMessage:
    id: int
    office_id: str
    channel: str
    address: str | None
    subject: str | None
    body: str | None
    reference: str
    attempts: int
    claim_token: str
    # Messages of one group go out one after another, in order ("soon" before "now" for one ticket).
    group: str
    qr: str | None = None
    ics: str | None = None


def _due(now: datetime) -> Any:
    return or_(and_(NotifyMessage.status == "pending", NotifyMessage.next_attempt_at <= now),
               and_(NotifyMessage.status == "sending", NotifyMessage.lease_until <= now))


def claim_due(session: Session, offices: dict[str, OfficeConfig], now: datetime,
              limit: int = 20) -> list[ClaimedMessage]:
    """Lease due messages (and those whose sender died mid-send) to this sender; one transaction."""
    rows = session.scalars(locked(session, select(NotifyMessage)
                                  .where(NotifyMessage.office_id.in_(list(offices)), _due(now))
                                  .order_by(NotifyMessage.next_attempt_at, NotifyMessage.id).limit(limit),
                                  skip_locked=True)).all()
    claimed = []
    for row in rows:
        row.status = "sending"
        row.attempts += 1
        row.lease_until = now + timedelta(seconds=settings_of(offices[row.office_id]).lease_seconds)
        row.claim_token = secrets.token_hex(16)
        claimed.append(ClaimedMessage(row.id, row.office_id, row.channel, row.address, row.subject, row.body,
                                      row.idempotency_key, row.attempts, row.claim_token,
                                      f"{row.office_id}:{row.recipient}:{row.ticket_id or ''}", row.qr, row.ics))
    return claimed


def seconds_until_due(session: Session, office_ids: Iterable[str], now: datetime) -> float | None:
    ids = list(office_ids)
    pending = session.scalar(select(func.min(NotifyMessage.next_attempt_at)).where(
        NotifyMessage.office_id.in_(ids), NotifyMessage.status == "pending"))
    leased = session.scalar(select(func.min(NotifyMessage.lease_until)).where(
        NotifyMessage.office_id.in_(ids), NotifyMessage.status == "sending"))
    times = [t for t in (pending, leased) if t is not None]
    if not times:
        return None
    return max(0.0, (min(times) - now).total_seconds())


def retry_delay(settings: NotifySettings, attempts: int) -> float | None:
    """Seconds to wait after failed attempt number ``attempts``, or None when the schedule is used up.

    The jitter only lengthens a delay, so the schedule's total is the least time a message is retried for."""
    delays = settings.retry_delays_seconds
    if attempts > len(delays):
        return None
    return delays[max(0, attempts - 1)] * random.uniform(1.0, 1.0 + RETRY_JITTER)


def renew_leases(session: Session, claims: Iterable[ClaimedMessage], offices: dict[str, OfficeConfig],
                 now: datetime) -> set[int]:
    """Extend the leases this sender still holds (by claim token); returns the ids it still holds.

    A message is renewed just before it is sent and then regularly while it is being sent, so that a send
    that outlasts one lease is never taken over, and sent again, by another sender."""
    held = set()
    for claim in claims:
        lease = timedelta(seconds=settings_of(offices[claim.office_id]).lease_seconds)
        renewed = session.execute(update(NotifyMessage).where(
            NotifyMessage.id == claim.id, NotifyMessage.claim_token == claim.claim_token,
            NotifyMessage.status == "sending").values(lease_until=now + lease)).rowcount
        if renewed:
            held.add(claim.id)
    return held


def record_result(session: Session, claimed: ClaimedMessage, result: SendResult, settings: NotifySettings,
                  now: datetime | None = None) -> str | None:
    """Store what sending gave; only the lease holder may. Returns the new status (None: lease lost)."""
    now = now or utcnow()
    row = session.scalars(locked(session, select(NotifyMessage).where(
        NotifyMessage.id == claimed.id, NotifyMessage.claim_token == claimed.claim_token), skip_locked=True)).first()
    if row is None:
        log.warning("notify message %s: lease lost before its result was recorded", claimed.id)
        return None
    row.lease_until = None
    row.claim_token = None
    if result.ok:
        row.status, row.sent_at, row.provider_id, row.last_error = "sent", now, result.provider_id, None
        row.address = row.subject = row.body = row.qr = row.ics = None
        log.info("notify message %s sent over %s (attempt %s)", row.id, row.channel, row.attempts)
    elif row.status == "cancelled" or row.body is None:
        row.status = "cancelled"
    elif result.retryable and (delay := retry_delay(settings, row.attempts)) is not None:
        delay = max(delay, result.retry_after or 0.0)
        row.status, row.next_attempt_at, row.last_error = "pending", now + timedelta(seconds=delay), result.error
        log.warning("notify message %s over %s failed (attempt %s: %s); next try in %.1f s", row.id, row.channel,
                    row.attempts, result.error, delay)
    else:
        row.status, row.last_error = "failed", result.error
        log.error("notify message %s over %s failed for good after %s attempt(s): %s", row.id, row.channel,
                  row.attempts, result.error)
    _publish_outcome(session, row, settings)
    return row.status


def _publish_outcome(session: Session, row: NotifyMessage, settings: NotifySettings) -> None:
    """Tell the plugin whose arrival the message was about what became of it (sent, or failed for good)."""
    if row.arrival_id is None or row.status not in ("sent", "failed"):
        return
    channel = settings.channels.get(row.channel)
    outcome = MessageSent if row.status == "sent" else MessageFailed
    publish(session, row.office_id, outcome(about=row.event_type, arrival_id=row.arrival_id,
                                            channel=channel.type if channel else row.channel))


# --- Delivery reports, retries, the log ---------------------------------------------------------------------


def record_delivery_report(session: Session, office_id: str, channel: str, provider_id: str, status: str,
                           now: datetime | None = None) -> bool:
    """The SMS provider's report: "delivered" or "failed" ("sent" changes nothing). False if no such message."""
    row = session.scalars(select(NotifyMessage).where(
        NotifyMessage.office_id == office_id, NotifyMessage.channel == channel,
        NotifyMessage.provider_id == provider_id)).first()
    if row is None:
        return False
    if status == "delivered":
        row.status, row.delivered_at = "delivered", now or utcnow()
    elif status == "failed":
        row.status, row.last_error = "failed", "the provider reported the message undelivered"
    return True


def retry_message(session: Session, office_id: str, message_id: int) -> NotifyMessage:
    row = session.scalars(select(NotifyMessage).where(NotifyMessage.office_id == office_id,
                                                      NotifyMessage.id == message_id)).first()
    if row is None:
        raise NotFound("not_found", f"no message {message_id} at office {office_id!r}")
    if row.status != "failed":
        raise Conflict("not_retryable", f"message {message_id} is {row.status}, not failed")
    if row.body is None or row.address is None:
        raise Conflict("not_retryable", f"message {message_id} can no longer be sent: its address or text was deleted")
    row.status, row.attempts, row.next_attempt_at, row.last_error = "pending", 0, utcnow(), None
    return row


def todays_messages(session: Session, office: OfficeConfig, now: datetime | None = None) -> Sequence[NotifyMessage]:
    now = now or utcnow()
    local_midnight = now.astimezone(office.tz).replace(hour=0, minute=0, second=0, microsecond=0)
    return session.scalars(select(NotifyMessage).where(NotifyMessage.office_id == office.id,
                                                       NotifyMessage.created_at >= local_midnight)
                           .order_by(NotifyMessage.id.desc())).all()


FAILURES_SHOWN = timedelta(days=7)  # how far back the admins' "What failed" page lists failed messages


def failed_messages(session: Session, office: OfficeConfig, now: datetime) -> Sequence[NotifyMessage]:
    """The office's messages that failed for good lately, newest first."""
    return session.scalars(select(NotifyMessage).where(NotifyMessage.office_id == office.id,
                                                       NotifyMessage.status == "failed",
                                                       NotifyMessage.created_at >= now - FAILURES_SHOWN)
                           .order_by(NotifyMessage.id.desc()).limit(200)).all()


def purge(session: Session, office: OfficeConfig, now: datetime) -> dict[str, int]:
    """Phone numbers and unsent texts past the retention; the log (no content) past its own retention."""
    retention = settings_of(office).retention
    contact_cutoff = now - timedelta(hours=retention.visitor_contact_hours)
    contacts = session.execute(delete(NotifyContact).where(NotifyContact.office_id == office.id,
                                                           NotifyContact.created_at < contact_cutoff)).rowcount
    old = and_(NotifyMessage.office_id == office.id, NotifyMessage.created_at < contact_cutoff,
               NotifyMessage.body.is_not(None))
    session.execute(update(NotifyMessage).where(old, NotifyMessage.status.in_(("pending", "failed")))
                    .values(status="cancelled", last_error="deleted by the retention setting"))
    texts = session.execute(update(NotifyMessage).where(old, NotifyMessage.status != "sending")
                            .values(address=None, subject=None, body=None, qr=None, ics=None)).rowcount
    log_rows = session.execute(delete(NotifyMessage).where(
        NotifyMessage.office_id == office.id,
        NotifyMessage.created_at < now - timedelta(days=retention.log_days))).rowcount
    return {"notify_visitor_phones": contacts or 0, "notify_unsent_texts": texts or 0,
            "notify_log_entries": log_rows or 0}
