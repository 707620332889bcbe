"""Domain events the surveys plugin publishes (its public contract). Anonymous like the answers: no ticket,
device or time of day."""

from __future__ import annotations

from core.events import DomainEvent


class SurveyCompleted(DomainEvent):
    """A visitor answered a survey on the tablet."""

    type = "survey.completed"
    survey: str
    language: str


EVENT_TYPES = [SurveyCompleted]
