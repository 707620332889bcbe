"""Calendar import: fetch each configured calendar (an iCalendar feed over HTTP(S), or a CalDAV calendar),
expand it into occurrences and bring the office's imported appointments in line. No HTTP serving here.

Parsing is icalendar's, recurrence (RRULE, RDATE, EXDATE, moved occurrences with RECURRENCE-ID) and time zones
are recurring-ical-events', the CalDAV protocol is caldav's: none of it is parsed by hand. A calendar that cannot
be fetched or read keeps its last good copy in the database; its feed row says since when, and staff see it as
stale. Several processes may sync at once: each calendar is leased by one of them at a time. An ICS feed is asked
with a conditional GET (its last ETag and Last-Modified): "304 Not Modified" leaves everything as it is.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import caldav
import httpx
import icalendar
import recurring_ical_events
from caldav.lib.error import DAVError
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.config import OfficeConfig, env_secret
from core.db import Database, utcnow
from core.events import publish, publish_all
from plugins.appointments.events import AppointmentBooked, AppointmentCancelled, AppointmentMoved
from plugins.appointments.models import BOOKED, CALDAV, CANCELLED, ICS, Appointment, Feed
from plugins.appointments.service import add_all_with_codes, add_with_code, settings_of
from plugins.appointments.settings import Calendar

log = logging.getLogger(__name__)
FETCH_TIMEOUT_SECONDS = 20
LEASE = timedelta(minutes=5)
PRIVATE_CLASSES = ("PRIVATE", "CONFIDENTIAL")
LOOKUP_BATCH = 500  # external ids per IN (...) query (SQLite allows a few thousand parameters)


class FeedUnavailable(Exception):
    """A calendar could not be fetched or read; the message says why, for staff."""


@dataclass(frozen=True)
class Occurrence:
    """One imported meeting: only what the office needs (time, busy or not, a first name when given)."""

    external_id: str
    start: datetime
    end: datetime
    busy: bool
    first_name: str | None


@dataclass
class SyncReport:
    calendar: str
    added: int = 0
    moved: int = 0
    removed: int = 0
    error: str | None = None
    skipped: bool = False  # another process holds the calendar's lease
    unchanged: bool = False  # the feed answered 304 Not Modified: nothing to apply

    def __str__(self) -> str:
        if self.skipped:
            return f"{self.calendar}: being synced by another process"
        if self.unchanged:
            return f"{self.calendar}: unchanged since the last sync"
        if self.error:
            return f"{self.calendar}: unreachable, last good copy kept ({self.error})"
        return f"{self.calendar}: added {self.added}, moved {self.moved}, removed {self.removed}"


# --- Fetching -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Validators:
    """What an HTTP server said identifies the copy it sent (RFC 9110's ETag and Last-Modified)."""

    etag: str | None = None
    last_modified: str | None = None

    def conditions(self) -> dict[str, str]:
        """The headers of a conditional GET: "send it only if it changed"."""
        headers = {"If-None-Match": self.etag} if self.etag else {}
        if self.last_modified:
            headers["If-Modified-Since"] = self.last_modified
        return headers


@dataclass(frozen=True)
class Fetched:
    """The calendar's iCalendar objects (one for an ICS feed; one per event from CalDAV), or ``unchanged``."""

    calendars: list[icalendar.Calendar]
    validators: Validators = Validators()
    unchanged: bool = False


def fetch(calendar: Calendar, start: datetime, end: datetime, known: Validators | None = None) -> Fetched:
    """Fetch the calendar; with the ``known`` validators of the copy already applied, an ICS feed that has not
    changed since answers 304 and comes back ``unchanged`` (CalDAV is always read: its search is by window)."""
    try:
        if calendar.protocol == "caldav":
            return Fetched(_fetch_caldav(calendar, start, end))
        response = httpx.get(calendar.url, timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=True,
                             headers={"Accept": "text/calendar", **(known.conditions() if known else {})})
        if response.status_code == 304 and known is not None:
            return Fetched([], known, unchanged=True)
        response.raise_for_status()
        return Fetched([icalendar.Calendar.from_ical(response.content)],
                       Validators(response.headers.get("ETag"), response.headers.get("Last-Modified")))
    except FeedUnavailable:
        raise
    except httpx.HTTPStatusError as exc:
        raise FeedUnavailable(f"HTTP {exc.response.status_code} from {calendar.url}") from exc
    except (httpx.HTTPError, DAVError, OSError) as exc:
        raise FeedUnavailable(f"{type(exc).__name__}: {exc}"[:300]) from exc
    except ValueError as exc:  # icalendar's answer to text that is not iCalendar
        raise FeedUnavailable(f"not an iCalendar file: {exc}"[:300]) from exc


def _fetch_caldav(calendar: Calendar, start: datetime, end: datetime) -> list[icalendar.Calendar]:
    password = env_secret(calendar.password_env or "")
    if not password:
        raise FeedUnavailable(f"environment variable {calendar.password_env} is not set")
    with caldav.DAVClient(url=calendar.url, username=calendar.username, password=password,
                          timeout=FETCH_TIMEOUT_SECONDS) as client:
        found = client.calendar(url=calendar.url).search(start=start, end=end, event=True, expand=False)
        return [item.icalendar_instance for item in found]


# --- Reading ------------------------------------------------------------------------------------------


def _instant(value: datetime | date, office: OfficeConfig) -> datetime:
    """An aware UTC instant: floating times are the office's local time; a date is a whole local day."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=office.tz)).astimezone(office.tz)
    return datetime.combine(value, time(0), tzinfo=office.tz)


def _utc(value: datetime | date, office: OfficeConfig) -> datetime:
    return _instant(value, office).astimezone(UTC)


def _first_name(event: icalendar.Event) -> str | None:
    """The visitor's first name, when the meeting names one: the first word of the first attendee's name that
    is not the organizer (the calendar's owner). Nothing else of the event is kept."""
    organizer = str(event.get("ORGANIZER", "")).lower()
    attendees = event.get("ATTENDEE", [])
    for attendee in attendees if isinstance(attendees, list) else [attendees]:
        if str(attendee).lower() == organizer:
            continue
        name = str(getattr(attendee, "params", {}).get("CN", "")).split()
        if name:
            return name[0][:60]
    return None


def occurrences(calendars: Iterable[icalendar.Calendar], office: OfficeConfig, start: datetime,
                end: datetime) -> list[Occurrence]:
    """Every occurrence between ``start`` and ``end``: recurring events expanded, cancelled and free (TRANSP:
    TRANSPARENT) ones left out, private ones kept as busy time only."""
    found: dict[str, Occurrence] = {}
    for calendar in calendars:
        # recurring-ical-events gives every occurrence a RECURRENCE-ID; only a recurring event's is part of its
        # identity (a single event keeps its identity when moved)
        recurring = {str(e.get("UID", "")) for e in calendar.walk("VEVENT")
                     if "RRULE" in e or "RDATE" in e or "RECURRENCE-ID" in e}
        for event in recurring_ical_events.of(calendar).between(start, end):
            if str(event.get("STATUS", "")).upper() == "CANCELLED":
                continue
            if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
                continue
            begins = _instant(event.decoded("DTSTART"), office)
            if "DTEND" in event:
                ends = _instant(event.decoded("DTEND"), office)
            elif "DURATION" in event:
                ends = begins + event.decoded("DURATION")
            else:  # RFC 5545: a date lasts a day, a date-time no time at all
                ends = begins + (timedelta(days=1) if not isinstance(event.decoded("DTSTART"), datetime)
                                 else timedelta(0))
            uid = str(event.get("UID", ""))
            recurrence = event.get("RECURRENCE-ID") if uid in recurring else None
            external_id = f"{uid}|{_utc(recurrence.dt, office).isoformat() if recurrence else ''}"[:400]
            private = str(event.get("CLASS", "PUBLIC")).upper() in PRIVATE_CLASSES
            all_day = not isinstance(event.decoded("DTSTART"), datetime)
            found[external_id] = Occurrence(external_id=external_id, start=begins, end=max(ends, begins),
                                            busy=private or all_day,
                                            first_name=None if private else _first_name(event))
    return list(found.values())


# --- Applying -----------------------------------------------------------------------------------------


def window(office: OfficeConfig, now: datetime) -> tuple[datetime, datetime]:
    settings = settings_of(office)
    today = now.astimezone(office.tz).date()
    return (datetime.combine(today - timedelta(days=settings.import_days_back), time(0), tzinfo=office.tz),
            datetime.combine(today + timedelta(days=settings.import_days_ahead + 1), time(0), tzinfo=office.tz))


def _owner(calendar: Calendar, office: OfficeConfig) -> tuple[str | None, str | None]:
    if calendar.officer:
        officer = office.directory.officer(calendar.officer)
        return calendar.officer, officer.unit if officer else None
    return None, calendar.unit


def apply(session: Session, office: OfficeConfig, calendar: Calendar, found: list[Occurrence], start: datetime,
          end: datetime, now: datetime, report: SyncReport) -> None:
    """Bring the imported appointments of one calendar between ``start`` and ``end`` in line with ``found``."""
    source = CALDAV if calendar.protocol == "caldav" else ICS
    officer_id, unit_id = _owner(calendar, office)
    existing = {row.external_id: row for row in session.scalars(
        select(Appointment).where(Appointment.office_id == office.id, Appointment.calendar == calendar.key,
                                  Appointment.start >= start, Appointment.start < end))}
    # Occurrences not in the window's rows may still be stored (moved in from outside the window): one query
    # per batch, not one per occurrence.
    elsewhere = _stored_elsewhere(session, office, calendar, [o.external_id for o in found
                                                              if o.external_id not in existing])
    added: list[Appointment] = []
    booked: list[Appointment] = []
    for occurrence in found:
        row = existing.pop(occurrence.external_id, None) or elsewhere.get(occurrence.external_id)
        if row is None:
            added.append(Appointment(
                id=uuid.uuid4().hex, office_id=office.id, officer_id=officer_id, unit_id=unit_id,
                start=occurrence.start, end=occurrence.end, status=BOOKED, source=source, busy=occurrence.busy,
                calendar=calendar.key, external_id=occurrence.external_id, first_name=occurrence.first_name,
                created_at=now, updated_at=now))
            report.added += 1
        elif row.status == CANCELLED and not row.busy:
            row.status, row.closed_at, row.start, row.end = BOOKED, None, occurrence.start, occurrence.end
            row.updated_at = now
            booked.append(row)
            report.added += 1
        elif (row.start, row.end, row.busy) != (occurrence.start, occurrence.end, occurrence.busy):
            row.start, row.end, row.busy, row.updated_at = occurrence.start, occurrence.end, occurrence.busy, now
            if row.busy:
                row.code = None
            elif row.code is None:
                add_with_code(session, row)
            publish(session, office.id, AppointmentMoved(appointment_id=row.id, officer_id=row.officer_id,
                                                         unit_id=row.unit_id, start=row.start.isoformat(),
                                                         end=row.end.isoformat()))
            report.moved += 1
    session.add_all(row for row in added if row.busy)  # busy time has no code
    add_all_with_codes(session, office.id, [row for row in added if not row.busy])
    publish_all(session, office.id, [_booked_event(row) for row in booked + added if not row.busy])
    for row in existing.values():  # gone from the calendar: deleted or cancelled there
        report.removed += 1
        if row.busy:
            session.delete(row)
        elif row.status == BOOKED:
            row.status, row.closed_at, row.updated_at = CANCELLED, now, now
            publish(session, office.id, AppointmentCancelled(appointment_id=row.id, officer_id=row.officer_id,
                                                             unit_id=row.unit_id, start=row.start.isoformat()))


def _stored_elsewhere(session: Session, office: OfficeConfig, calendar: Calendar,
                      external_ids: list[str]) -> dict[str | None, Appointment]:
    found: dict[str | None, Appointment] = {}
    for first in range(0, len(external_ids), LOOKUP_BATCH):
        found.update((row.external_id, row) for row in session.scalars(select(Appointment).where(
            Appointment.office_id == office.id, Appointment.calendar == calendar.key,
            Appointment.external_id.in_(external_ids[first:first + LOOKUP_BATCH]))))
    return found


def _booked_event(row: Appointment) -> AppointmentBooked:
    return AppointmentBooked(
        appointment_id=row.id, code=row.code or "", officer_id=row.officer_id, unit_id=row.unit_id, service_id=None,
        start=row.start.isoformat(), end=row.end.isoformat(), source=row.source, language=None,
        first_name=row.first_name)


# --- Leases and the feed's state ----------------------------------------------------------------------


def _lease(db: Database, office: OfficeConfig, calendar: Calendar, now: datetime, due_before: datetime | None) -> bool:
    """Take the calendar's lease (one process syncs it at a time); with ``due_before``, only if its last attempt
    is older than that (the background sync's pace)."""
    with db.session() as session:
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        session.execute(insert(Feed).values(office_id=office.id, calendar=calendar.key)
                        .on_conflict_do_nothing(index_elements=["office_id", "calendar"]))
        claim = (update(Feed).where(Feed.office_id == office.id, Feed.calendar == calendar.key,
                                    (Feed.leased_until.is_(None)) | (Feed.leased_until < now))
                 .values(leased_until=now + LEASE, last_attempt_at=now))
        if due_before is not None:
            claim = claim.where((Feed.last_attempt_at.is_(None)) | (Feed.last_attempt_at < due_before))
        return session.execute(claim).rowcount == 1


def _feed(session: Session, office: OfficeConfig, calendar: Calendar) -> Feed:
    found = session.scalar(select(Feed).where(Feed.office_id == office.id, Feed.calendar == calendar.key))
    assert found is not None  # created by _lease
    return found


def sync_calendar(db: Database, office: OfficeConfig, calendar: Calendar, now: datetime | None = None,
                  due_before: datetime | None = None) -> SyncReport:
    """Fetch one calendar and apply it; an unreachable or unreadable one keeps its last good copy."""
    now = now or utcnow()
    report = SyncReport(calendar=_label(calendar))
    if not _lease(db, office, calendar, now, due_before):
        report.skipped = True
        return report
    start, end = window(office, now)
    with db.session() as session:
        feed = _feed(session, office, calendar)
        # the copy applied last counts only for the same window (a new day may bring new occurrences in)
        known = (Validators(feed.etag, feed.last_modified)
                 if (feed.etag or feed.last_modified) and feed.window_start == start else None)
    try:
        fetched = fetch(calendar, start, end, known)
        found = [] if fetched.unchanged else occurrences(fetched.calendars, office, start, end)
    except FeedUnavailable as exc:
        report.error = str(exc)
        with db.session() as session:
            feed = _feed(session, office, calendar)
            feed.last_error, feed.leased_until = report.error, None
        log.warning("calendar %s of %s: %s", report.calendar, office.id, report.error)
        return report
    with db.session() as session:
        if fetched.unchanged:
            report.unchanged = True
        else:
            apply(session, office, calendar, found, start, end, now, report)
        feed = _feed(session, office, calendar)
        feed.last_success_at, feed.last_error, feed.leased_until = now, None, None
        feed.etag, feed.last_modified = fetched.validators.etag, fetched.validators.last_modified
        feed.window_start = start
    return report


def _label(calendar: Calendar) -> str:
    return f"officer {calendar.officer}" if calendar.officer else f"unit {calendar.unit}"


def sync_office(db: Database, office: OfficeConfig, now: datetime | None = None,
                only_due: bool = False) -> list[SyncReport]:
    """Every calendar of the office (``only_due``: those not tried within the office's sync interval)."""
    now = now or utcnow()
    due_before = now - timedelta(minutes=settings_of(office).sync_minutes) if only_due else None
    return [sync_calendar(db, office, calendar, now, due_before) for calendar in settings_of(office).calendars]


@dataclass(frozen=True)
class FeedState:
    calendar: str
    last_success_at: datetime | None
    last_error: str | None
    stale: bool = field(default=False)


def feed_states(session: Session, office: OfficeConfig, now: datetime | None = None) -> list[FeedState]:
    """Each configured calendar's state for staff: stale when its last good sync is older than the office allows."""
    now = now or utcnow()
    limit = timedelta(minutes=settings_of(office).stale_minutes)
    rows = {f.calendar: f for f in session.scalars(select(Feed).where(Feed.office_id == office.id))}
    states = []
    for calendar in settings_of(office).calendars:
        feed = rows.get(calendar.key)
        success = feed.last_success_at if feed else None
        states.append(FeedState(calendar=_label(calendar), last_success_at=success,
                                last_error=feed.last_error if feed else None,
                                stale=success is None or now - success > limit))
    return states
