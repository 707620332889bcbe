"""The public booking page's rate limit: attempts per visitor address and hour, counted in the database (one
upsert), so that every server process sees the same count. The address is stored only as a keyed hash."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.config import OfficeConfig
from core.problems import Throttled
from plugins.appointments.models import RateCount
from plugins.appointments.service import translations


def count_booking(session: Session, office: OfficeConfig, secret: str, address: str, now: datetime, limit: int,
                  language: str) -> None:
    """Count one booking attempt; past ``limit`` in the hour, refuse it (429) in the visitor's language."""
    client = hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()[:64]
    hour = now.replace(minute=0, second=0, microsecond=0)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    count = session.execute(insert(RateCount).values(office_id=office.id, client=client, hour=hour, count=1)
                            .on_conflict_do_update(index_elements=["office_id", "client", "hour"],
                                                   set_={"count": RateCount.count + 1})
                            .returning(RateCount.count)).scalar_one()
    if count > limit:
        _ = translations.gettext(language)
        raise Throttled("too_many", _("Too many bookings from here in a short time. Please try again "
                                                  "in an hour, or call the office."))


def purge(session: Session, office: OfficeConfig, now: datetime) -> None:
    session.execute(delete(RateCount).where(RateCount.office_id == office.id,
                                            RateCount.hour < now - timedelta(days=1)))
