"""The background check that escalates arrivals nobody was told of in time, whether or not a page is open.

Run by the kiosk's background work (``background.py``) in every process that runs background work; several at
once are safe because ``arrivals.escalate_due`` escalates each arrival once.
"""

from __future__ import annotations

from typing import Any

from core.db import utcnow
from plugins.kiosk import arrivals, service
from plugins.kiosk.arrivals import AcknowledgeLinks

MAX_CHECK_SECONDS = 5.0


class Escalator:
    def __init__(self, context: Any):
        self.context = context
        self.offices = [o for o in context.deployment.offices.values() if o.enables("kiosk")]
        self.links = AcknowledgeLinks(context.secret_key, context.settings.base_url)
        # Often enough that an escalation comes within a few seconds of its time.
        shortest = min((service.settings(o).escalate_after_seconds for o in self.offices), default=60)
        self.interval = max(0.2, min(MAX_CHECK_SECONDS, shortest / 4))

    def check(self) -> int:
        escalated = 0
        for office in self.offices:
            with self.context.db.session() as session:
                escalated += arrivals.escalate_due(session, office, self.links, utcnow())
        return escalated
