"""The queue's entries in an office's audit log, in words (mbk_audit_text): "Called B003 to Desk 1", with the
counters', services' and outcomes' names in the reader's language instead of their ids."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.config import OfficeConfig
from core.i18n import N_
from plugins.queue.i18n import OUTCOME_LABELS, translations
from plugins.queue.settings import settings_of

TICKET_ACTIONS = {"queue.issue": N_("Issued %(ticket)s"), "queue.recall": N_("Called %(ticket)s again"),
                  "queue.start": N_("Started serving %(ticket)s"), "queue.no-show": N_("%(ticket)s did not come"),
                  "queue.hold": N_("Put %(ticket)s on hold"), "queue.resume": N_("Resumed %(ticket)s")}


def audit_text(office: OfficeConfig, action: str, detail: Mapping[str, Any], language: str) -> str | None:
    if not action.startswith("queue."):
        return None
    _ = translations.gettext(language)
    settings = settings_of(office)

    def counter() -> str:
        found = settings.counter(str(detail.get("counter")))
        return found.name.get_text(language) if found else str(detail.get("counter"))

    ticket = str(detail.get("ticket", ""))
    if action in TICKET_ACTIONS:
        return _(TICKET_ACTIONS[action], ticket=ticket)
    if action in ("queue.call", "queue.call_next"):
        return _("Called %(ticket)s to %(counter)s", ticket=ticket, counter=counter())
    if action == "queue.done":
        outcome = detail.get("outcome")
        if outcome in OUTCOME_LABELS:
            return _("%(ticket)s done: %(outcome)s", ticket=ticket, outcome=_(OUTCOME_LABELS[outcome]))
        return _("%(ticket)s done", ticket=ticket)
    if action == "queue.urgent":
        return _("Marked %(ticket)s urgent", ticket=ticket) if detail.get("urgent") else \
            _("%(ticket)s no longer urgent", ticket=ticket)
    if action == "queue.counter_paused":
        return _("Paused %(counter)s", counter=counter())
    if action == "queue.counter_open":
        return _("Opened %(counter)s again", counter=counter())
    if action == "queue.transfer":
        service = settings.service(str(detail.get("to_service")))
        return _("Sent %(ticket)s to %(service)s", ticket=ticket,
                 service=service.name.get_text(language) if service else str(detail.get("to_service")))
    return None
