"""Arrivals for a booked meeting (no HTTP): what the visitor is told, kept true as the officer's message goes.

An arrival's ``notification`` is the fate of the message to the officer, learnt through core only: ``none``
when no enabled plugin says it can reach the officer (asked through ``mbk_message_reach``), ``pending`` until
a plugin publishes ``message.sent`` or ``message.failed`` about it, ``acknowledged`` once the officer used the
"I am coming" link. An arrival nobody was told of within the office's time escalates (``arrival.escalated``):
messengers send it to the unit's or the office's fallback address, guides see it on their console, and the
visitor is asked to go to the information desk.

With an appointments plugin (the ``mbk_find_appointment`` hook), an arrival names today's booked meeting: by
its booking code, or the chosen officer's meeting now. A meeting with the office's own guides gets a ticket
marked booked instead of a message: the queue calls the visitor.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import OfficeConfig, Unit
from core.db import locked, utcnow
from core.events import Event, publish
from core.hookspecs import Addressee, AppointmentMatch, AppointmentQuery, StaffAlert, TicketRequest
from core.problems import Conflict, Invalid, NotFound
from plugins.kiosk.events import ArrivalAcknowledged, ArrivalEscalated, VisitorArrived
from plugins.kiosk.models import Arrival
from plugins.kiosk.service import (
    claim_key,
    officer_by_code,
    record_usage,
    remember,
    settings,
    translations,
    unit_name,
)

FIRST_NAME_MAX = 40
NOTIFICATION_STATES = ("pending", "sent", "failed", "acknowledged", "none")
# The officer's message is still on its way (or never went): the arrival may escalate.
UNTOLD = ("pending", "failed", "none")
# Escalated arrivals stay on the guides' console this long unless the officer answers first.
ALERT_HOURS = 2


@dataclass(frozen=True)
class AcknowledgeLinks:
    """The officer's "I am coming" links: signed (itsdangerous, the platform's secret), expiring, naming only the
    arrival's id, so that the link reveals nothing to whoever else opens it."""

    secret: str
    base_url: str

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret, salt="mbk-kiosk-arrival-ack")

    def url(self, office_id: str, arrival_id: str) -> str:
        token = self._serializer().dumps({"o": office_id, "a": arrival_id})
        return f"{self.base_url.rstrip('/')}/{office_id}/kiosk/coming/{token}"

    def arrival_id(self, office: OfficeConfig, token: str) -> str | None:
        """The arrival a valid, unexpired link of this office names; None for anything else."""
        max_age = settings(office).acknowledge_link_minutes * 60
        try:
            data = self._serializer().loads(token, max_age=max_age)
        except (SignatureExpired, BadSignature):
            return None
        if not isinstance(data, dict) or data.get("o") != office.id or not isinstance(data.get("a"), str):
            return None
        return data["a"]


Reach = Callable[..., list[list[str]]]  # the office's ``mbk_message_reach`` hook caller
Find = Callable[..., AppointmentMatch | None]  # the office's ``mbk_find_appointment`` hook caller (firstresult)
Issue = Callable[..., Any]  # the office's ``mbk_issue_ticket`` hook caller (firstresult)


def can_reach(reach: Reach, office: OfficeConfig, officer_id: str | None, unit_id: str | None) -> bool:
    """Whether any enabled plugin would send the officer (or their unit) a message about this arrival."""
    answers = reach(office=office, event_type=VisitorArrived.type,
                    addressee=Addressee(officer_id=officer_id, unit_id=unit_id))
    return any(answers)


# --- Booked meetings (through the office's appointments) -------------------------------------------


def find_booking(session: Session, office: OfficeConfig, find: Find, code: str, language: str,
                 now: datetime | None = None) -> AppointmentMatch | None:
    """Today's meeting for a booking code; None when no plugin keeps appointments, or when the code is one of
    the directory's fixed codes. A code that finds no meeting the visitor may arrive for now is refused with the
    reason, in their language."""
    match = find(office=office, session=session, query=AppointmentQuery(code=code.strip()), language=language,
                 now=now or utcnow())
    if match is not None and match.reason == "unknown" and officer_by_code(office, code) is not None:
        return None  # an officer's fixed code from the directory: no appointment to find
    if match is not None and match.refusal:
        refused = NotFound if match.reason == "unknown" else Conflict
        raise refused(f"booking_{match.reason}", match.refusal)
    return match


def booking_answer(office: OfficeConfig, match: AppointmentMatch, language: str) -> dict[str, Any]:
    """What the screen shows of a found meeting: who it is with and when (never the visitor's name)."""
    _ = translations.gettext(language)
    officer = office.directory.officer(match.officer_id) if match.officer_id else None
    unit = unit_name(office, match.unit_id, language)
    at = match.start.astimezone(office.tz).strftime("%H:%M") if match.start else ""
    who = ", ".join(part for part in (officer.name if officer else None, unit) if part)
    label = (_("%(who)s at %(time)s", who=who, time=at) if who
             else _("Your booked time at %(time)s", time=at))
    return {"officer_id": match.officer_id, "name": officer.name if officer else None, "unit_id": match.unit_id,
            "unit": unit, "time": at, "label": label, "appointment": True}


def meeting_times(session: Session, office: OfficeConfig, find: Find, language: str, officer_id: str | None,
                  unit_id: str | None) -> list[dict[str, str]]:
    """The times of the chosen officer's (or unit's) meetings the visitor may arrive for now, for the visitor to
    choose theirs: times only, never whose they are."""
    _ = translations.gettext(language)
    if officer_id and office.directory.officer(officer_id) is None:
        raise NotFound("unknown_officer", _("That person is not in this office's directory."))
    if unit_id and office.directory.unit(unit_id) is None:
        raise NotFound("unknown_unit", _("That department is not in this office's directory."))
    if not (officer_id or unit_id):
        raise Invalid("invalid_request", _("Choose the person or the department you are meeting."))
    match = find(office=office, session=session, language=language, now=utcnow(),
                 query=AppointmentQuery(officer_id=officer_id, unit_id=unit_id))
    starts = match.choices if match is not None else ()
    return [{"start": start.isoformat(), "label": start.astimezone(office.tz).strftime("%H:%M")} for start in starts]


def _meeting(session: Session, office: OfficeConfig, find: Find | None, language: str, now: datetime,
             booking_code: str | None, officer_id: str | None, unit_id: str | None,
             start: datetime | None) -> AppointmentMatch | None:
    if find is None:
        return None
    if booking_code:
        return find_booking(session, office, find, booking_code, language, now)
    if start is None:
        return None  # no time chosen: the arrival names no meeting (it may be somebody else's)
    return find(office=office, session=session, language=language, now=now,
                query=AppointmentQuery(officer_id=officer_id, unit_id=unit_id, start=start))


def _booked_ticket(session: Session, office: OfficeConfig, issue: Issue | None, match: AppointmentMatch | None,
                   language: str, key: str) -> str | None:
    """A meeting with the office's own guides: a ticket marked booked, so that the queue calls the visitor."""
    if issue is None or match is None or not match.ticket_service:
        return None
    request = TicketRequest(language=language, service=match.ticket_service, idempotency_key=f"kiosk:{key}",
                            source="appointment", booked=True)
    receipt = issue(office=office, session=session, request=request)  # a refusal passes through: a core Problem
    return receipt.number if receipt is not None else None


# --- Registering an arrival -------------------------------------------------------------------------


def _clean_first_name(raw: str | None, language: str) -> str | None:
    _ = translations.gettext(language)
    name = " ".join((raw or "").split())
    if not name:
        return None
    if len(name) > FIRST_NAME_MAX or any(not (c.isalpha() or c in " -'") for c in name):
        raise Invalid("invalid_first_name",
                      _("A first name may have letters, spaces and hyphens, at most %(n)s.", n=FIRST_NAME_MAX))
    return name


@dataclass(frozen=True)
class Registered:
    arrival: Arrival
    ticket: str | None = None  # a booked ticket's number, for a meeting with the office's own guides


def register_arrival(session: Session, office: OfficeConfig, *, reach: Reach, links: AcknowledgeLinks,
                     language: str, key: str, officer_id: str | None = None, unit_id: str | None = None,
                     first_name: str | None = None, booking_code: str | None = None, start: datetime | None = None,
                     find: Find | None = None, issue: Issue | None = None, now: datetime | None = None) -> Registered:
    """Record an arrival and publish ``visitor.arrived``, once per screen key; escalate at once when no plugin
    can tell the officer. Returns the arrival (the first one for a repeated key).

    The office's appointments (``find``) are asked first, by the booking code or the chosen officer's meeting
    ``start``: a booked meeting names its officer or unit, and an arrival that has only a meeting (with the
    guides, who call the visitor with a booked ticket) is allowed."""
    _ = translations.gettext(language)
    stored = claim_key(session, office.id, key, "arrival", language)
    if stored is not None:
        return Registered(get_arrival(session, office, stored["arrival_id"], language), stored.get("ticket"))
    now = now or utcnow()
    match = _meeting(session, office, find, language, now, booking_code, officer_id, unit_id, start)
    appointment_id = match.appointment_id if match is not None else None
    if appointment_id:
        officer_id, unit_id = match.officer_id or officer_id, match.unit_id or unit_id  # type: ignore[union-attr]
    officer = office.directory.officer(officer_id) if officer_id else None
    if officer_id and officer is None:
        raise NotFound("unknown_officer", _("That person is not in this office's directory."))
    if unit_id and office.directory.unit(unit_id) is None:
        raise NotFound("unknown_unit", _("That department is not in this office's directory."))
    if officer is None and not unit_id and appointment_id is None:
        raise Invalid("invalid_request", _("Choose the person or the department you are meeting."))
    unit_id = unit_id or (officer.unit if officer else None)
    officer_id = officer.id if officer else None
    ticket = _booked_ticket(session, office, issue, match, language, key)
    arrival = Arrival(id=uuid.uuid4().hex, office_id=office.id, officer_id=officer_id, unit_id=unit_id,
                      first_name=_clean_first_name(first_name, language), language=language, created_at=now,
                      notification=_first_state(reach, office, officer_id, unit_id))
    session.add(arrival)
    publish(session, office.id, VisitorArrived(
        arrival_id=arrival.id, officer_id=officer_id, unit_id=unit_id, first_name=arrival.first_name,
        language=language, acknowledge_url=links.url(office.id, arrival.id), appointment_id=appointment_id))
    if arrival.notification == "none" and not (ticket and _called_by_queue(arrival)):
        escalate(session, office, arrival, links, "none", now)
    record_usage(session, office, language, "arrival")
    # Only ids are kept for a repeated tap: never the visitor's name.
    remember(session, office.id, key, {"arrival_id": arrival.id, "ticket": ticket})
    return Registered(arrival, ticket)


def _first_state(reach: Reach, office: OfficeConfig, officer_id: str | None, unit_id: str | None) -> str:
    if officer_id is None and unit_id is None:
        return "none"  # only a booked meeting: nobody to message
    return "pending" if can_reach(reach, office, officer_id, unit_id) else "none"


def _called_by_queue(arrival: Arrival) -> bool:
    """An arrival for a meeting with the guides alone: the queue calls the visitor, no message is promised."""
    return arrival.officer_id is None and arrival.unit_id is None


def get_arrival(session: Session, office: OfficeConfig, arrival_id: str, language: str) -> Arrival:
    arrival = session.scalar(select(Arrival).where(Arrival.office_id == office.id, Arrival.id == arrival_id))
    if arrival is None:
        _ = translations.gettext(language)
        raise NotFound("unknown_arrival", _("This arrival is no longer known; please ask at the desk."))
    return arrival


# --- What the visitor is told -----------------------------------------------------------------------


def _waiting_area(office: OfficeConfig, unit: Unit | None, language: str) -> str:
    _ = translations.gettext(language)
    if unit is not None and unit.waiting_area:
        return unit.waiting_area.get_text(language)
    if settings(office).waiting_area:
        return settings(office).waiting_area.get_text(language)  # type: ignore[union-attr]
    return _("the waiting area")


def arrival_view(office: OfficeConfig, arrival: Arrival, language: str, ticket: str | None = None
                 ) -> dict[str, Any]:
    """The arrival as the kiosk shows it: its state, and what to tell the visitor now, in their language.

    The officer's answer wins, then a message that went out; an escalation (nobody told in time) sends the
    visitor to the information desk; until then the officer *is being told*. A meeting with the guides alone
    promises no message: the visitor waits for their booked ticket (``ticket``) to be called."""
    _, ngettext = translations.gettext(language), translations.ngettext(language)
    officer = office.directory.officer(arrival.officer_id) if arrival.officer_id else None
    unit = office.directory.unit(arrival.unit_id) if arrival.unit_id else None
    unit_label = unit.name.get_text(language) if unit else None
    whom = officer.name if officer else (unit_label or "")
    minutes = max(1, round(settings(office).escalate_after_seconds / 60))
    place = _waiting_area(office, unit, language)
    escalated = arrival.escalated_at is not None
    state = arrival.notification
    desk = _("Please ask at the information desk. The staff there know that you are waiting.")
    if _called_by_queue(arrival):
        told = _("Your arrival for your booked time is registered.")
        if escalated:  # a meeting with nobody to tell and no ticket to call
            advice = desk
        elif ticket:
            advice = _("Your queue number is %(number)s. Please take a seat: %(place)s.", number=ticket,
                       place=place)
        else:
            advice = _("Please take a seat: %(place)s. You will be fetched there.", place=place)
    elif state == "acknowledged":
        told = _("%(name)s is on the way to you.", name=whom)
        advice = _("Please take a seat: %(place)s. You will be fetched there.", place=place)
    elif state == "sent":
        told = _("%(name)s has been told that you are here.", name=whom)
        advice = _("Please take a seat: %(place)s. You will be fetched there.", place=place)
    elif escalated:
        told = _("We could not reach %(name)s.", name=whom)
        advice = desk
    else:
        told = _("%(name)s is being told that you are here.", name=whom)
        advice = ngettext("Please take a seat: %(place)s. If nobody has come within %(num)s minute, ask at the "
                          "information desk.",
                          "Please take a seat: %(place)s. If nobody has come within %(num)s minutes, ask at the "
                          "information desk.", minutes, place=place)
    return {"id": arrival.id, "notification": state, "escalated": escalated, "officer": officer.name if officer
            else None, "unit": unit_label, "told": told, "advice": advice, "ticket": ticket,
            "final": state == "acknowledged" or (state == "sent" and not escalated) or _called_by_queue(arrival)}


# --- Message outcomes, acknowledgement, escalation --------------------------------------------------------


def handle_message_outcome(session: Session, office: OfficeConfig, event: Event) -> None:
    """``message.sent`` / ``message.failed`` about an arrival's message: the arrival learns its fate.
    Idempotent; a later state never goes back (acknowledged > sent > failed > pending)."""
    payload = event.payload
    if payload.get("about") != VisitorArrived.type or not payload.get("arrival_id"):
        return
    arrival = session.scalar(locked(session, select(Arrival).where(Arrival.office_id == office.id,
                                                                   Arrival.id == str(payload["arrival_id"]))))
    if arrival is None:
        return  # purged meanwhile
    if event.type == "message.sent" and arrival.notification in UNTOLD:
        arrival.notification = "sent"
    elif event.type == "message.failed" and arrival.notification == "pending":
        arrival.notification = "failed"  # the escalation check picks it up on its next pass


def _linked_arrival(session: Session, office: OfficeConfig, links: AcknowledgeLinks, token: str,
                    lock: bool = False) -> Arrival | None:
    arrival_id = links.arrival_id(office, token)
    if arrival_id is None:
        return None
    stmt = select(Arrival).where(Arrival.office_id == office.id, Arrival.id == arrival_id)
    return session.scalar(locked(session, stmt) if lock else stmt)


def link_state(session: Session, office: OfficeConfig, links: AcknowledgeLinks, token: str) -> str:
    """What an opened "I am coming" link may still do: ``ask``, ``used`` or ``invalid`` (forged, expired,
    another office's, or purged)."""
    arrival = _linked_arrival(session, office, links, token)
    if arrival is None:
        return "invalid"
    return "used" if arrival.acknowledged_at is not None else "ask"


def acknowledge(session: Session, office: OfficeConfig, links: AcknowledgeLinks, token: str) -> str:
    """The officer's "I am coming": ``done``, or ``used`` / ``invalid`` as in ``link_state``. The answer says
    nothing else about the arrival."""
    arrival = _linked_arrival(session, office, links, token, lock=True)
    if arrival is None:
        return "invalid"
    if arrival.acknowledged_at is not None:
        return "used"
    arrival.notification = "acknowledged"
    arrival.acknowledged_at = utcnow()
    publish(session, office.id, ArrivalAcknowledged(arrival_id=arrival.id))
    return "done"


def escalate(session: Session, office: OfficeConfig, arrival: Arrival, links: AcknowledgeLinks, reason: str,
             now: datetime) -> None:
    arrival.escalated_at = now
    publish(session, office.id, ArrivalEscalated(
        arrival_id=arrival.id, officer_id=arrival.officer_id, unit_id=arrival.unit_id,
        first_name=arrival.first_name, language=arrival.language, reason=reason,
        acknowledge_url=links.url(office.id, arrival.id)))


def escalate_due(session: Session, office: OfficeConfig, links: AcknowledgeLinks, now: datetime) -> int:
    """Escalate the office's arrivals whose message failed, or did not go out within the office's time.

    Safe with several processes: each arrival is escalated once (PostgreSQL: rows locked, SKIP LOCKED, and
    ``escalated_at`` checked under the lock; SQLite: one writer)."""
    late = now - timedelta(seconds=settings(office).escalate_after_seconds)
    stmt = (select(Arrival).where(Arrival.office_id == office.id, Arrival.escalated_at.is_(None),
                                  Arrival.notification.in_(UNTOLD),
                                  Arrival.officer_id.is_not(None) | Arrival.unit_id.is_not(None),
                                  (Arrival.notification == "failed") | (Arrival.created_at <= late))
            .order_by(Arrival.created_at).limit(100))
    due = session.scalars(locked(session, stmt, skip_locked=True)).all()
    for arrival in due:
        escalate(session, office, arrival, links, "failed" if arrival.notification == "failed" else "late", now)
    return len(due)


def staff_alerts(session: Session, office: OfficeConfig, language: str, now: datetime) -> list[StaffAlert]:
    """Arrivals waiting for an officer nobody could tell, for the guides' console (staff language)."""
    _ = translations.gettext(language)
    rows = session.scalars(select(Arrival).where(
        Arrival.office_id == office.id, Arrival.escalated_at.is_not(None), Arrival.acknowledged_at.is_(None),
        Arrival.escalated_at >= now - timedelta(hours=ALERT_HOURS)).order_by(Arrival.created_at)).all()
    return [StaffAlert(id=f"arrival-{a.id}", text=_alert_text(office, a, language), since=a.created_at, order=10)
            for a in rows]


def _alert_text(office: OfficeConfig, arrival: Arrival, language: str) -> str:
    _ = translations.gettext(language)
    officer = office.directory.officer(arrival.officer_id) if arrival.officer_id else None
    unit = office.directory.unit(arrival.unit_id) if arrival.unit_id else None
    whom = officer.name if officer else (unit.name.get_text(language) if unit else "")
    visitor = arrival.first_name or _("A visitor")
    return _("%(visitor)s is waiting for %(whom)s, who has not been reached.", visitor=visitor, whom=whom)
