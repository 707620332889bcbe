"""The one domain error, the problems of a deployment that cannot start, and what is wrong with a value pydantic
refused, in the reader's language.

A service (core's or a plugin's) that refuses a request raises a ``Problem`` of one ``Kind``; it never knows an
HTTP status. The web layer maps each kind to a status in one place (core/web/errors.py), the command line prints
the message. ``message`` is shown to the person who asked, so it is already in their language where they have one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core.i18n import N_


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


_WHOLE_NUMBER = N_("not a whole number")
_NUMBER = N_("not a number")
_DATE = N_("not a date (write it like 2026-05-04)")
_DATETIME = N_("not a date and time (write it like 2026-05-04 09:30)")
_TIME = N_("not a time (write it like 09:30)")
# A kind of pydantic error: what the reader is told, and the limit of the error's context that the text names.
_VALUE_PROBLEMS: dict[str, tuple[str, str | None]] = {
    "missing": (N_("missing"), None),
    "string_type": (N_("not text"), None),
    "string_too_long": (N_("longer than %(limit)s characters"), "max_length"),
    "string_too_short": (N_("shorter than %(limit)s characters"), "min_length"),
    "string_pattern_mismatch": (N_("not in the expected form"), None),
    "int_parsing": (_WHOLE_NUMBER, None), "int_type": (_WHOLE_NUMBER, None), "int_from_float": (_WHOLE_NUMBER, None),
    "float_parsing": (_NUMBER, None), "float_type": (_NUMBER, None),
    "greater_than_equal": (N_("less than %(limit)s"), "ge"),
    "less_than_equal": (N_("more than %(limit)s"), "le"),
    "date_type": (_DATE, None), "date_parsing": (_DATE, None), "date_from_datetime_parsing": (_DATE, None),
    "date_from_datetime_inexact": (_DATE, None),
    "datetime_type": (_DATETIME, None), "datetime_parsing": (_DATETIME, None),
    "datetime_from_date_parsing": (_DATETIME, None),
    "time_type": (_TIME, None), "time_parsing": (_TIME, None),
}


def value_problem(error: Mapping[str, Any], _: Callable[..., str]) -> str:
    """What is wrong with one value pydantic refused (an item of ``ValidationError.errors()``), in the reader's
    language ``_``: pydantic's own messages are English only. A kind not named here keeps pydantic's words inside
    a translated frame."""
    text, limit = _VALUE_PROBLEMS.get(error["type"], (None, None))
    if text is None:
        return _("not valid (%(reason)s)", reason=error["msg"])
    return _(text, limit=(error.get("ctx") or {}).get(limit)) if limit else _(text)
