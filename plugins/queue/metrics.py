"""The queue's series for the platform's monitoring (core's ``mbk_metrics`` hook), read from the tables at scrape
time, so every web process reports the same. Every configured service gets a sample, 0 when quiet: alert rules need
the series to exist."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.config import OfficeConfig
from plugins.queue.models import CALLED, SERVING, WAITING, Ticket
from plugins.queue.settings import QueueSettings

ACTIVE_COUNTER_WINDOW = timedelta(hours=1)


def queue_families(office: OfficeConfig, session: Session, now: datetime) -> Iterator[Metric]:
    settings: QueueSettings = office.settings_for("queue")
    day = now.astimezone(office.tz).date()
    today = (Ticket.office_id == office.id, Ticket.day == day)
    issued = dict(session.execute(select(Ticket.issued_service, func.count()).where(*today)
                                  .group_by(Ticket.issued_service)).all())
    called = dict(session.execute(select(Ticket.service, func.count())
                                  .where(*today, Ticket.first_called_at.is_not(None))
                                  .group_by(Ticket.service)).all())
    waiting = {service: (count, since) for service, count, since in session.execute(
        select(Ticket.service, func.count(), func.min(Ticket.waiting_since)).where(*today, Ticket.status == WAITING)
        .group_by(Ticket.service))}
    active = session.scalar(select(func.count(func.distinct(Ticket.counter))).where(
        *today, Ticket.counter.is_not(None),
        or_(Ticket.status.in_((CALLED, SERVING)), Ticket.called_at >= now - ACTIVE_COUNTER_WINDOW))) or 0

    labels = ["office", "service"]
    issued_family = CounterMetricFamily("mbk_queue_tickets_issued", "Tickets issued today (the count starts again "
                                        "at the office's midnight).", labels=labels)
    called_family = CounterMetricFamily("mbk_queue_tickets_called", "Tickets called today, each once (recalls not "
                                        "counted; starts again at the office's midnight).", labels=labels)
    waiting_family = GaugeMetricFamily("mbk_queue_waiting", "Visitors waiting in the line now.", labels=labels)
    longest = GaugeMetricFamily("mbk_queue_longest_wait_seconds", "How long the first visitor in the line has "
                                "waited (0 when nobody waits).", labels=labels)
    for service in settings.services:
        key = [office.id, service.id]
        issued_family.add_metric(key, issued.get(service.id, 0))
        called_family.add_metric(key, called.get(service.id, 0))
        count, since = waiting.get(service.id, (0, None))
        waiting_family.add_metric(key, count)
        longest.add_metric(key, max(0.0, (now - since).total_seconds()) if since else 0.0)
    counters = GaugeMetricFamily("mbk_queue_counters_active", "Counters serving or called a visitor within the last "
                                 "hour.", labels=["office"])
    counters.add_metric([office.id], active)
    yield from (issued_family, called_family, waiting_family, longest, counters)
