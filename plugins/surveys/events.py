"""Domain events the surveys plugin publishes (its public contract). Anonymous like the answers: no ticket,
device or time of day."""

from __future__ import annotations

from typing import ClassVar

from core.events import DomainEvent
from core.i18n import N_


class SurveyCompleted(DomainEvent):
    """A visitor answered a survey on the tablet."""

    type = "survey.completed"
    label: ClassVar[str] = N_("Survey answered")
    survey: str
    language: str


EVENT_TYPES = [SurveyCompleted]
