"""The kiosk's background work, in every process that runs background work (``MBK_RUN_DISPATCHER``), each job
on its own thread so that a printer that does not answer never delays an escalation:

- escalating arrivals nobody was told of in time (``escalation.Escalator``);
- asking each ticket printer for its paper between tickets (``printing.poll``).

Several processes at once are safe: an arrival escalates once, and a printer heard from recently is not asked.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from plugins.kiosk import printing, service
from plugins.kiosk.escalation import Escalator

log = logging.getLogger(__name__)


class Repeating:
    """``job`` every ``interval`` seconds on a daemon thread until stopped; a failure is logged and retried."""

    def __init__(self, name: str, interval: float, job: Callable[[], object]):
        self.name, self.interval, self.job = name, interval, job
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Repeating:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.job()
            except Exception:  # a database hiccup must not end the work for good
                log.exception("%s failed; trying again", self.name)


class PrinterWatch:
    """Every kiosk office's ticket printers, asked for their paper between tickets."""

    def __init__(self, context: Any):
        self.context = context
        self.offices = [(o, service.settings(o).printers) for o in context.deployment.offices.values()
                        if o.enables("kiosk") and service.settings(o).printers]
        # Looked at every few seconds; each printer is asked only once it has not been heard from for a minute.
        self.interval = min(10.0, printing.POLL_SECONDS / 4)

    def check(self) -> dict[str, dict[str, printing.PrinterStatus]]:
        """What each printer that was due answered, by office and device."""
        return {office.id: printing.poll(self.context.db, office, printers) for office, printers in self.offices}


def start_background(context: Any) -> list[Repeating]:
    if not context.settings.run_dispatcher:
        return []
    work = []
    escalator = Escalator(context)
    if escalator.offices:
        work.append(Repeating("kiosk-escalation", escalator.interval, escalator.check))
    printers = PrinterWatch(context)
    if printers.offices:
        work.append(Repeating("kiosk-printers", printers.interval, printers.check))
    return [w.start() for w in work]
