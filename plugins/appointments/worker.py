"""Background work in each web process: calendars synced every few minutes (each calendar leased by one process
at a time, so several processes never fetch the same one at once), reminders published (each once, whichever
process gets there first) and past days closed."""

from __future__ import annotations

import logging
import threading
from typing import Any

from core.db import utcnow
from plugins.appointments import lifecycle, sync

TICK_SECONDS = 30
log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, context: Any):
        self.context = context
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="appointments", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def tick(self) -> None:
        for office in self.context.deployment.offices.values():
            if not office.enables("appointments"):
                continue
            sync.sync_office(self.context.db, office, only_due=True)
            with self.context.db.session() as session:
                lifecycle.send_reminders(session, office, utcnow(), self.context.settings.base_url)
                lifecycle.close_past_days(session, office, utcnow())

    def _run(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            try:
                self.tick()
            except Exception:  # a database or network hiccup must not stop the syncing for good
                log.exception("appointments background work failed; trying again")


_schedulers: dict[int, Scheduler] = {}


def start(app: Any, context: Any) -> None:
    scheduler = Scheduler(context)
    _schedulers[id(app)] = scheduler
    scheduler.start()


def stop(app: Any) -> None:
    scheduler = _schedulers.pop(id(app), None)
    if scheduler is not None:
        scheduler.stop()
