"""Per-office settings of the queue plugin.

Every field has a default so that an office can enable the queue with no section at all: it then gets one
general service served at one desk. Cross-references (prefixes, counters, categories) are checked in
``validate_settings``, which names the exact key path of each problem.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from core.config import Localized, OfficeConfig, OpeningHours, StrictModel

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
class Counter(StrictModel):
    """A desk or counter where a guide calls visitors."""

    id: str = Field(pattern=ID_PATTERN)
    name: Localized


class Service(StrictModel):
    id: str = Field(pattern=ID_PATTERN)
    prefix: str = Field(pattern=r"^[A-Z]{1,2}$", description="letters before the number, e.g. A for A001")
    name: Localized
    # No periods: open whenever the office is (tickets always issued).
    hours: tuple[OpeningHours, ...] = ()
    counters: tuple[str, ...] = ()
    # Public computers: visitors get a seat by themselves when one is free, no guide call.
    seats: int | None = Field(default=None, ge=1, le=200)

    def is_open(self, local: datetime) -> bool:
        return not self.hours or any(period.covers(local) for period in self.hours)


class Referral(StrictModel):
    """Where a guide can refer a visitor (recorded with the outcome ``referred``): another authority, a unit."""

    id: str = Field(pattern=ID_PATTERN)
    name: Localized


def _default_services() -> tuple[Service, ...]:
    return (Service(id="general", prefix="A", name=Localized(sv="Allmän kö", en="General queue"),
                    counters=("desk-1",)),)


def _default_counters() -> tuple[Counter, ...]:
    return (Counter(id="desk-1", name=Localized(sv="Disk 1", en="Desk 1")),)


class QueueSettings(StrictModel):
    services: tuple[Service, ...] = Field(default_factory=_default_services, min_length=1)
    counters: tuple[Counter, ...] = Field(default_factory=_default_counters)
    number_digits: int = Field(default=3, ge=1, le=5)
    # Errand category (from the kiosk) → service id; categories not listed go to default_service.
    categories: dict[str, str] = Field(default_factory=dict)
    # The service for a ticket whose category is not mapped (default: the first service without seats).
    default_service: str | None = None
    # Visitors with a booked time are called before others of the same service.
    booked_first: bool = False
    # Anyone may take a ticket from their own phone (POST /tickets without a kiosk or staff login).
    remote_join: bool = False
    # A public computer is freed after this long even if nobody marks the visitor done.
    seat_time_limit_minutes: int = Field(default=60, ge=5, le=600)
    # A visitor who left a phone number is texted when this many are left in line, themselves included.
    near_position: int = Field(default=3, ge=1, le=50)
    # Errand answers and category kept this many days, then erased (numbers and times stay for statistics).
    # Phone numbers are erased when the ticket closes and at the latest the next day.
    detail_retention_days: int = Field(default=30, ge=0, le=3650)
    # The display board plays a chime for each call and, in these languages, reads it aloud (the office's speech
    # clips; the browser's voice for a language without them).
    chime: bool = True
    announce_languages: tuple[str, ...] = ()
    # The board shows its texts in these languages in turn, each for board_language_seconds (empty: only the
    # language it was opened in).
    board_languages: tuple[str, ...] = ()
    board_language_seconds: int = Field(default=10, ge=3, le=600)
    # Phone numbers given without a country code (0701234567) are taken to be in this country.
    phone_country_code: str = Field(default="46", pattern=r"^[1-9][0-9]{0,2}$")
    # How many recent services the wait estimate is taken from.
    estimate_sample: int = Field(default=20, ge=3, le=500)
    # Whom a guide may refer a visitor to, chosen on the console when recording the outcome "referred".
    referrals: tuple[Referral, ...] = ()

    def service(self, service_id: str) -> Service | None:
        return next((s for s in self.services if s.id == service_id), None)

    def counter(self, counter_id: str) -> Counter | None:
        return next((c for c in self.counters if c.id == counter_id), None)

    def referral(self, referral_id: str) -> Referral | None:
        return next((r for r in self.referrals if r.id == referral_id), None)

    def services_at(self, counter_id: str) -> list[Service]:
        return [s for s in self.services if counter_id in s.counters and s.seats is None]

    def service_for(self, category: str | None) -> Service:
        """The service a ticket for an errand category goes to."""
        if category and category in self.categories:
            found = self.service(self.categories[category])
            if found is not None:
                return found
        if self.default_service:
            found = self.service(self.default_service)
            if found is not None:
                return found
        return next((s for s in self.services if s.seats is None), self.services[0])

    @property
    def seat_services(self) -> list[Service]:
        return [s for s in self.services if s.seats is not None]


def validate_settings(settings: QueueSettings, office_languages: tuple[str, ...]) -> list[tuple[str, str]]:
    """Problems the model cannot see field by field, as (key path under plugins.queue, message)."""
    problems: list[tuple[str, str]] = []
    seen_ids: dict[str, int] = {}
    seen_prefixes: dict[str, int] = {}
    counter_ids = {c.id for c in settings.counters}
    seen_counters: set[str] = set()
    for i, counter in enumerate(settings.counters):
        if counter.id in seen_counters:
            problems.append((f"counters[{i}].id", f"counter id {counter.id!r} is used twice"))
        seen_counters.add(counter.id)
    for i, service in enumerate(settings.services):
        if service.id in seen_ids:
            problems.append((f"services[{i}].id",
                             f"service id {service.id!r} is already used by services[{seen_ids[service.id]}]"))
        seen_ids.setdefault(service.id, i)
        if service.prefix in seen_prefixes:
            problems.append((f"services[{i}].prefix", f"prefix {service.prefix!r} is already used by "
                             f"services[{seen_prefixes[service.prefix]}]; each service needs its own letters"))
        seen_prefixes.setdefault(service.prefix, i)
        for j, counter in enumerate(service.counters):
            if counter not in counter_ids:
                known = ", ".join(sorted(counter_ids)) or "none"
                problems.append((f"services[{i}].counters[{j}]", f"unknown counter {counter!r} (counters: {known})"))
        if service.seats is None and not service.counters:
            problems.append((f"services[{i}].counters", "a service without seats needs at least one counter"))
    seen_referrals: set[str] = set()
    for i, referral in enumerate(settings.referrals):
        if referral.id in seen_referrals:
            problems.append((f"referrals[{i}].id", f"referral id {referral.id!r} is used twice"))
        seen_referrals.add(referral.id)
    for category, service_id in settings.categories.items():
        if service_id not in seen_ids:
            problems.append((f"categories.{category}", f"unknown service {service_id!r}"))
    if settings.default_service is not None and settings.default_service not in seen_ids:
        problems.append(("default_service", f"unknown service {settings.default_service!r}"))
    for key in ("announce_languages", "board_languages"):
        for i, language in enumerate(getattr(settings, key)):
            if language not in office_languages:
                problems.append((f"{key}[{i}]", f"{language!r} is not one of the office's languages "
                                 f"({', '.join(office_languages)})"))
    return problems


def settings_of(office: OfficeConfig) -> QueueSettings:
    return office.settings_for("queue")
