"""What the queue's public API answers, field by field, so that /docs shows each shape.

The views (``plugins.queue.views``, ``plugins.queue.live``) build the answers as dicts; these models declare them,
in the same order, and FastAPI checks each answer against its model on the way out.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from starlette.responses import Response, StreamingResponse


class ServiceOut(BaseModel):
    """A service's line now: how many wait, the wait a ticket taken now would have, free public computers."""

    id: str
    prefix: str
    name: str
    waiting: int
    estimated_wait_minutes: int | None
    open: bool = Field(description="whether tickets are taken now (opening hours)")
    seats: int | None = Field(description="public computers the service lends; None for a service at a counter")
    seats_free: int | None


class PublicTicketOut(BaseModel):
    """The visitor's view of a ticket (never names, errands or phone numbers)."""

    id: str = Field(description="the ticket's key: whoever has it may follow or cancel the ticket")
    number: str
    service: str
    service_name: str
    status: str = Field(description="waiting, called, serving, done, no_show or cancelled")
    held: bool
    position: int = Field(description="1 for the next to be called; 0 when the ticket no longer waits")
    ahead: int
    estimated_wait_minutes: int | None
    counter: str | None
    counter_name: str | None
    seat: int | None
    language: str
    text_requested: bool
    issued_at: str
    status_path: str = Field(description="the visitor's phone page")


class StaffTicketOut(BaseModel):
    """The guide's view of a ticket: the errand the visitor registered, never the phone number itself."""

    id: str
    number: str
    service: str
    service_name: str
    status: str
    booked: bool
    urgent: bool
    held: bool
    held_at: str | None
    language: str
    language_name: str
    interpreter: str | None
    interpreter_name: str | None
    category: str | None
    category_title: str | None
    answers: dict[str, str]
    note: str | None
    transferred_from: str | None
    counter: str | None
    seat: int | None
    recalls: int
    text_requested: bool
    issued_at: str
    called_at: str | None
    started_at: str | None
    outcome: str | None
    referred_to: str | None


class CounterStateOut(BaseModel):
    counter: str
    state: str = Field(description="open or paused")


class AlertOut(BaseModel):
    id: str
    text: str
    since: str


class BoardCallOut(BaseModel):
    """A call as the board shows it: the number and where to go, in each of the office's languages."""

    number: str
    service: str
    counter: str | None
    counter_names: dict[str, str]
    seat: int | None
    recall: bool
    at: str | None


class BoardOut(BaseModel):
    services: list[ServiceOut]
    calls: list[BoardCallOut] = Field(description="today's last calls, newest first")


class LiveServiceOut(BaseModel):
    id: str
    name: str
    waiting: int
    held: int
    urgent: int
    longest_wait_minutes: int | None


class LiveCounterOut(BaseModel):
    id: str
    name: str
    state: str = Field(description="paused, busy or idle")
    serving: str | None
    since_minutes: int | None


class LiveTotalsOut(BaseModel):
    issued: int
    served: int
    no_shows: int
    cancelled: int
    interpreter: int
    urgent: int
    waiting: int


class LiveFigureOut(BaseModel):
    """A figure another plugin adds (``mbk_live_figures``)."""

    id: str
    label: str
    value: int
    since_minutes: int | None


class LiveOut(BaseModel):
    at: str
    services: list[LiveServiceOut]
    counters: list[LiveCounterOut]
    totals: LiveTotalsOut
    figures: list[LiveFigureOut]


class StatsRowOut(BaseModel):
    """One service on one day (office-local)."""

    day: str
    service: str
    issued: int
    served: int
    no_shows: int
    cancelled: int
    urgent: int
    interpreter: int
    helped: int
    helped_self_service: int
    referred: int
    no_errand: int
    wait_median_minutes: float | None
    wait_p90_minutes: float | None
    service_median_minutes: float | None
    service_p90_minutes: float | None


class EventStream(StreamingResponse):
    """Server-sent events (so /docs shows text/event-stream, not JSON)."""

    media_type = "text/event-stream"


class CsvFile(Response):
    """A CSV file to save (so /docs shows text/csv, not JSON)."""

    media_type = "text/csv"
