"""What an office may set in its [plugins.appointments] section.

```toml
[[plugins.appointments.calendars]]
officer = "a-lind"                       # or unit = "social"
url = "https://example.org/a-lind.ics"   # an iCalendar feed (Outlook/Exchange "publish calendar", Google, any ICS)

[[plugins.appointments.calendars]]
unit = "social"
url = "https://dav.example.org/cal/social/"   # a CalDAV calendar: username and the variable holding the password
username = "kiosk-sync"
password_env = "MBK_CALDAV_SOCIAL"
```
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from core.config import Localized, OpeningHours, StrictModel

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class Calendar(StrictModel):
    """One officer's or unit's calendar: an ICS feed over HTTP(S), or a CalDAV calendar when ``username`` is set."""

    officer: str | None = None
    unit: str | None = None
    url: str
    username: str | None = None
    password_env: str | None = Field(default=None, pattern=r"^[A-Z_][A-Z0-9_]*$")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {value!r} (write it like https://example.org/calendar.ics)")
        return value

    @model_validator(mode="after")
    def _owner_and_credentials(self) -> Calendar:
        if (self.officer is None) == (self.unit is None):
            raise ValueError("a calendar belongs to exactly one of 'officer' or 'unit'")
        if (self.username is None) != (self.password_env is None):
            raise ValueError("a CalDAV calendar needs both 'username' and 'password_env'")
        return self

    @property
    def protocol(self) -> str:
        return "caldav" if self.username else "ics"

    @property
    def key(self) -> str:
        """How the calendar is known in the database: its owner and URL (a new URL is a new calendar)."""
        owner = f"officer:{self.officer}" if self.officer else f"unit:{self.unit}"
        return f"{owner}:{self.url}"[:140]


class ArrivalWindow(StrictModel):
    """How long before and after its start a meeting can be arrived for at the kiosk."""

    early_minutes: int = Field(default=30, ge=0, le=240)
    late_minutes: int = Field(default=15, ge=0, le=240)


class BookableService(StrictModel):
    """A service visitors book a time for (online, when ``online`` is on), e.g. help with a tax return."""

    id: str = Field(pattern=ID_PATTERN)
    name: Localized
    slot_minutes: int = Field(default=30, ge=5, le=480)
    capacity: int = Field(default=1, ge=1, le=100)  # visitors per slot
    online: bool = False
    hours: tuple[OpeningHours, ...] = ()  # when it takes bookings
    days_ahead: int = Field(default=14, ge=1, le=180)
    # What to bring, shown after "Bring:" in the confirmation and the reminders (e.g. "your ID").
    bring: Localized | None = None
    officer: str | None = None
    unit: str | None = None
    # A meeting with the office's own guides: on arrival the visitor gets a booked ticket for this queue service.
    queue_service: str | None = None

    @model_validator(mode="after")
    def _bookable_online(self) -> BookableService:
        if self.online and not self.hours:
            raise ValueError("a service booked online needs its booking hours ('hours')")
        return self


class AppointmentsSettings(StrictModel):
    calendars: tuple[Calendar, ...] = ()
    services: tuple[BookableService, ...] = ()
    arrival: ArrivalWindow = ArrivalWindow()
    # Reminders to visitors who left a contact: the day before and two hours before by default.
    reminders_minutes_before: tuple[int, ...] = (24 * 60, 2 * 60)
    # Minutes between two background syncs of each calendar.
    sync_minutes: int = Field(default=5, ge=1, le=1440)
    # How far back and ahead calendars are imported.
    import_days_back: int = Field(default=1, ge=0, le=60)
    import_days_ahead: int = Field(default=60, ge=1, le=730)
    # A calendar is shown as stale to staff when its last good sync is older than this.
    stale_minutes: int = Field(default=30, ge=1, le=10080)
    # Visitors' names and contacts are kept until this many days after the meeting's day (1: the day after).
    retention_days: int = Field(default=1, ge=1, le=365)
    # Appointments themselves (times, status, for statistics) are deleted after this many days.
    history_days: int = Field(default=400, ge=1, le=3650)
    # Online bookings accepted per visitor address (IP) and hour: the public page is rate-limited.
    bookings_per_hour: int = Field(default=10, ge=1, le=1000)

    @field_validator("reminders_minutes_before")
    @classmethod
    def _reminders(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(m < 5 or m > 14 * 24 * 60 for m in value):
            raise ValueError("a reminder is sent between 5 minutes and 14 days before the meeting")
        if len(set(value)) != len(value):
            raise ValueError("a reminder time is listed twice")
        return value

    @model_validator(mode="after")
    def _unique_services(self) -> AppointmentsSettings:
        ids = [s.id for s in self.services]
        if len(set(ids)) != len(ids):
            raise ValueError("two services have the same id")
        return self

    def service(self, service_id: str) -> BookableService | None:
        return next((s for s in self.services if s.id == service_id), None)
