"""The notify plugin's series for the platform's monitoring (core's ``mbk_metrics`` hook): messages sent, failed
and waiting per channel, read from the message table at scrape time. Every configured channel gets a sample."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import OfficeConfig
from plugins.notify.models import NotifyMessage
from plugins.notify.settings import NotifySettings


def notify_families(office: OfficeConfig, session: Session, now: datetime) -> Iterator[Metric]:
    settings: NotifySettings = office.settings_for("notify")
    midnight = datetime.combine(now.astimezone(office.tz).date(), time(), office.tz)
    mine = NotifyMessage.office_id == office.id
    sent = dict(session.execute(select(NotifyMessage.channel, func.count())
                                .where(mine, NotifyMessage.sent_at >= midnight)
                                .group_by(NotifyMessage.channel)).all())
    failed = dict(session.execute(select(NotifyMessage.channel, func.count())
                                  .where(mine, NotifyMessage.status == "failed", NotifyMessage.created_at >= midnight)
                                  .group_by(NotifyMessage.channel)).all())
    waiting = dict(session.execute(select(NotifyMessage.channel, func.count())
                                   .where(mine, NotifyMessage.status.in_(("pending", "sending")))
                                   .group_by(NotifyMessage.channel)).all())
    labels = ["office", "channel"]
    families = (
        (CounterMetricFamily("mbk_notify_messages_sent", "Messages sent today (the count starts again at the "
                             "office's midnight).", labels=labels), sent),
        (CounterMetricFamily("mbk_notify_messages_failed", "Messages of today that failed for good.", labels=labels),
         failed),
        (GaugeMetricFamily("mbk_notify_messages_waiting", "Messages not sent yet (pending or being sent).",
                           labels=labels), waiting),
    )
    channels = sorted(set(settings.channels) | set(sent) | set(failed) | set(waiting))
    for family, counts in families:
        for channel in channels:
            family.add_metric([office.id, channel], counts.get(channel, 0))
        yield family
