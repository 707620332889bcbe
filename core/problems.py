"""The one domain error, and the problems of a deployment that cannot start.

A service (core's or a plugin's) that refuses a request raises a ``Problem`` of one ``Kind``; it never knows an
HTTP status. The web layer maps each kind to a status in one place (core/web/errors.py), the command line prints
the message. ``message`` is shown to the person who asked, so it is already in their language where they have one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    NOT_FOUND = "not_found"  # the thing asked for does not exist (at this office)
    CONFLICT = "conflict"  # it exists, but its state does not allow this (a ticket already served)
    INVALID = "invalid"  # the request itself is wrong (a field out of range); ``field`` names it
    REFUSED = "refused"  # a valid request the office does not accept now (a ticket outside opening hours)
    UNAUTHORIZED = "unauthorized"  # who is asking is unknown: log in or enrol
    FORBIDDEN = "forbidden"  # who is asking may not do this
    THROTTLED = "throttled"  # too many attempts; ``retry_after`` says when to try again
    UNAVAILABLE = "unavailable"  # cannot be done right now for a reason outside the request


class Problem(Exception):
    """A request that is refused: ``code`` is stable for programs, ``message`` is for people.

    Raise it (or one of the subclasses named after its kind) from a service; nothing it wrote in the
    transaction is kept. ``field`` names the bad input of an INVALID problem; ``retry_after`` (seconds) goes
    with THROTTLED and UNAVAILABLE; ``challenge`` is the way to authenticate that an UNAUTHORIZED caller should
    use (default: a bearer token).
    """

    kind: Kind = Kind.CONFLICT

    def __init__(self, code: str, message: str, *, kind: Kind | None = None, field: str | None = None,
                 retry_after: int | None = None, challenge: str | None = None):
        super().__init__(message)
        if kind is not None:
            self.kind = kind
        self.code = code
        self.message = message
        self.field = field
        self.retry_after = retry_after
        self.challenge = challenge

    def __str__(self) -> str:
        """The message, led by the field it is about when the request was invalid (``phone: not a number``)."""
        if self.kind is Kind.INVALID and self.field:
            return f"{self.field}: {self.message}"
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.kind.value}, {self.code!r}, {self.message!r})"


class NotFound(Problem):
    kind = Kind.NOT_FOUND


class Conflict(Problem):
    kind = Kind.CONFLICT


class Invalid(Problem):
    kind = Kind.INVALID


class Refused(Problem):
    kind = Kind.REFUSED


class Unauthorized(Problem):
    kind = Kind.UNAUTHORIZED


class Forbidden(Problem):
    kind = Kind.FORBIDDEN


class Throttled(Problem):
    kind = Kind.THROTTLED


class Unavailable(Problem):
    kind = Kind.UNAVAILABLE


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong in a deployment's files, located as ``file: key.path: message``."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}: " if self.path else f"{self.file}: "
        return where + self.message


class ConfigError(Exception):
    """A deployment that cannot be used; ``problems`` lists every reason, one per line."""

    def __init__(self, problems: Iterable[ConfigProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
