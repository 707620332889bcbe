"""The queue's refusals: each says how the API answers it (``status``, ``code``)."""

from __future__ import annotations


class QueueError(Exception):
    """A refused request; ``status`` and ``code`` say how the API answers it."""

    status = 409
    code = "conflict"

    def __init__(self, detail: str, field: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.field = field


class TicketNotFound(QueueError):
    status = 404
    code = "ticket_not_found"


class InvalidRequest(QueueError):
    status = 422
    code = "invalid_request"


class StateConflict(QueueError):
    status = 409
    code = "wrong_state"


class IssueRefused(QueueError, ValueError):
    """A ticket cannot be issued (closed, unknown service); the message is in the visitor's language."""

    status = 409
    code = "ticket_refused"

