"""What happens to appointments with time (no HTTP): reminders published once each, the day closed (a meeting
still only booked when its day is over becomes a no-show), and the purge of visitors' personal data."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.config import OfficeConfig
from core.events import publish
from plugins.appointments import ratelimit
from plugins.appointments.events import AppointmentClosed, AppointmentReminder
from plugins.appointments.models import BOOKED, NO_SHOW, Appointment, ReminderSent, SlotCount
from plugins.appointments.service import ics_to_attach, local_day_bounds, local_today, settings_of, visitor_links


def send_reminders(session: Session, office: OfficeConfig, now: datetime, base_url: str | None = None) -> int:
    """Publish ``appointment.reminder`` for each reminder now due (``minutes_before`` the start) to a visitor
    who left a contact (with the cancel link of a booking made online, given the platform's ``base_url``).
    Each is recorded under a unique key first, so it goes out once even when several processes run this at the
    same time. When two are due at once (the worker was stopped), only the nearest goes out; one already past
    when the meeting was booked is skipped."""
    settings = settings_of(office)
    offsets = sorted(settings.reminders_minutes_before)
    sent = 0
    for minutes in offsets:
        ahead = timedelta(minutes=minutes)
        due = session.scalars(select(Appointment).where(
            Appointment.office_id == office.id, Appointment.status == BOOKED, Appointment.busy.is_(False),
            Appointment.start > now, Appointment.start <= now + ahead,
            (Appointment.email.is_not(None)) | (Appointment.phone.is_not(None))))
        for appointment in due:
            if appointment.created_at >= appointment.start - ahead:
                continue  # booked after this reminder's time: the confirmation said it all
            if not _claim(session, office, appointment, minutes, now):
                continue
            for earlier in offsets:  # reminders meant for before this one are no longer worth sending
                if earlier > minutes:
                    _claim(session, office, appointment, earlier, now)
            service = settings.service(appointment.service_id or "")
            language = appointment.language or office.default_language
            publish(session, office.id, AppointmentReminder(
                appointment_id=appointment.id, code=appointment.code or "", start=appointment.start.isoformat(),
                minutes_before=minutes, language=appointment.language, first_name=appointment.first_name,
                email=appointment.email, phone=appointment.phone,
                bring=service.bring.get_text(language) if service and service.bring else None,
                cancel_url=visitor_links(base_url, office, appointment.cancel_token, language)["cancel_url"],
                ics=ics_to_attach(office, appointment, language)))
            sent += 1
    return sent


def _claim(session: Session, office: OfficeConfig, appointment: Appointment, minutes: int, now: datetime) -> bool:
    """Record one reminder of one appointment; False when it already was (by us or a concurrent process)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    return session.execute(insert(ReminderSent).values(
        office_id=office.id, appointment_id=appointment.id, minutes_before=minutes, sent_at=now)
        .on_conflict_do_nothing(index_elements=["appointment_id", "minutes_before"])
        .returning(ReminderSent.id)).scalar_one_or_none() is not None


def close_past_days(session: Session, office: OfficeConfig, now: datetime) -> int:
    """Meetings of earlier days still only booked (nobody arrived, nobody marked them) become no-shows. Those the
    visitor arrived for stay arrived: they came."""
    day_start, _ = local_day_bounds(office, local_today(office, now))
    unmarked = list(session.scalars(select(Appointment).where(
        Appointment.office_id == office.id, Appointment.status == BOOKED, Appointment.busy.is_(False),
        Appointment.start < day_start).with_for_update(skip_locked=True)))
    for appointment in unmarked:
        appointment.status, appointment.closed_at, appointment.updated_at = NO_SHOW, now, now
        publish(session, office.id, AppointmentClosed(appointment_id=appointment.id, officer_id=appointment.officer_id,
                                                      unit_id=appointment.unit_id, status=NO_SHOW))
    return len(unmarked)


def purge(session: Session, office: OfficeConfig, now: datetime) -> dict[str, int]:
    """Visitors' names and contacts erased once the retention after the meeting's day is over (by default at the
    end of the day after the meeting); the appointments themselves (times and status, for statistics) deleted
    after ``history_days``."""
    settings = settings_of(office)
    keep_from, _ = local_day_bounds(office, local_today(office, now) - timedelta(days=settings.retention_days))
    erased = session.execute(update(Appointment).where(
        Appointment.office_id == office.id, Appointment.start < keep_from,
        Appointment.personal_data_purged_at.is_(None)).values(
        first_name=None, email=None, phone=None, cancel_token=None, personal_data_purged_at=now))
    history = now - timedelta(days=settings.history_days)
    old = select(Appointment.id).where(Appointment.office_id == office.id, Appointment.start < history)
    session.execute(delete(ReminderSent).where(ReminderSent.office_id == office.id,
                                               ReminderSent.appointment_id.in_(old)))
    deleted = session.execute(delete(Appointment).where(Appointment.office_id == office.id,
                                                        Appointment.start < history))
    session.execute(delete(SlotCount).where(SlotCount.office_id == office.id, SlotCount.start < history))
    ratelimit.purge(session, office, now)
    return {"appointment_contacts": erased.rowcount or 0, "appointments": deleted.rowcount or 0}
