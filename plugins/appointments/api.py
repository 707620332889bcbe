"""Staff API under /api/v1/offices/{office}/appointments: the day's list, create, move or cancel, and the import
of a case-management system's file (thin: the work is in service.py and importer.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from core import auth
from core.auth import Principal
from core.problems import Invalid
from core.web.deps import OfficeDep, SessionDep
from core.web.security import require
from plugins.appointments import importer, service, stats
from plugins.appointments.models import Appointment

router = APIRouter()
VIEWERS = require("admin", "officer", "guide", "viewer")
EDITORS = require("admin", "officer", "guide")
MAX_STATS_DAYS = 366


class AppointmentOut(BaseModel):
    id: str
    code: str | None
    start: datetime
    end: datetime
    officer: str | None
    unit: str | None
    service: str | None
    status: str
    source: str
    first_name: str | None
    arrived_at: datetime | None

    @classmethod
    def of(cls, row: Appointment) -> AppointmentOut:
        return cls(id=row.id, code=row.code, start=row.start.astimezone(UTC), end=row.end.astimezone(UTC),
                   officer=row.officer_id, unit=row.unit_id, service=row.service_id, status=row.status,
                   source=row.source, first_name=row.first_name,
                   arrived_at=row.arrived_at.astimezone(UTC) if row.arrived_at else None)


class AppointmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: datetime
    end: datetime
    officer: str | None = Field(default=None, max_length=64)
    unit: str | None = Field(default=None, max_length=64)
    service: str | None = Field(default=None, max_length=64)
    first_name: str | None = Field(default=None, max_length=60)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=20, pattern=r"^\+?[0-9 ()-]{6,20}$")
    language: str | None = Field(default=None, max_length=8)


class AppointmentChange(BaseModel):
    """Move (``start`` and ``end``) or change the status (``cancelled``, ``seen``, ``no_show``)."""

    model_config = ConfigDict(extra="forbid")
    start: datetime | None = None
    end: datetime | None = None
    status: Literal["cancelled", "seen", "no_show"] | None = None


@router.get("")
def day_appointments(day: Annotated[date, Query(description="the office's local day")], office: OfficeDep,
                     session: SessionDep, _principal: Principal = Depends(VIEWERS)) -> list[AppointmentOut]:
    """The day's appointments at the office, by start time (busy time from private events is not listed)."""
    return [AppointmentOut.of(row) for row in service.day_list(session, office, day)]


@router.get("/statistics.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "the statistics as CSV"}})
def statistics_csv(first: Annotated[date, Query()], last: Annotated[date, Query()], office: OfficeDep,
                   session: SessionDep, _principal: Principal = Depends(require("admin", "viewer"))) -> Response:
    """Per day and officer, unit or service: booked, arrived, seen, no-show, cancelled, average lateness."""
    if last < first or (last - first).days > MAX_STATS_DAYS:
        raise Invalid("invalid_range", f"last must be on or after first, at most {MAX_STATS_DAYS} days")
    text = stats.csv_text(stats.statistics(session, office, first, last))
    return Response(text, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="appointments-{office.id}-{first}-{last}.csv"'})


@router.post("", status_code=201)
def create_appointment(body: AppointmentIn, office: OfficeDep, session: SessionDep,
                       principal: Principal = Depends(EDITORS)) -> AppointmentOut:
    """A staff-entered appointment; it gets a booking code to give the visitor."""
    new = service.NewAppointment(start=body.start, end=body.end, officer_id=body.officer, unit_id=body.unit,
                                 service_id=body.service, first_name=body.first_name, email=body.email,
                                 phone=body.phone, language=body.language)
    row = service.create(session, office, new)
    auth.audit(session, principal, "appointment.create", office.id, appointment=row.id)
    return AppointmentOut.of(row)


class ImportOut(BaseModel):
    """What an import did: rows added, moved (a known ``id`` with new times) and left as they were."""

    added: int
    moved: int
    unchanged: int


IMPORT_BODY = {"requestBody": {"required": True, "content": {
    "text/csv": {"schema": {"type": "string"}},
    "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
        "file": {"type": "string", "format": "binary", "description": "a .csv or .json file"}}}}}}}


async def _received(request: Request) -> tuple[str | None, str | None, bytes]:
    """The file's name, media type and bytes: an upload (form field ``file``) or the request's body."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=10)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise Invalid("no_file", "upload the file as the form field 'file'")
        return upload.filename, upload.content_type, await upload.read(importer.MAX_BYTES + 1)
    if int(request.headers.get("content-length") or 0) > importer.MAX_BYTES:
        raise Invalid("too_large", f"larger than {importer.MAX_BYTES // 1_000_000} MB; import it in parts")
    return None, content_type, await request.body()


@router.post("/import", openapi_extra=IMPORT_BODY)
async def import_appointments(request: Request, office: OfficeDep, session: SessionDep,
                              principal: Principal = Depends(EDITORS)) -> ImportOut:
    """A case-management system's appointments: CSV (``text/csv``) or JSON (``application/json``) as the body,
    or a .csv or .json file uploaded as ``file``. Columns and keys as for ``mbk appointments import``. Every
    row is checked first: one bad row refuses the whole file (422, every row's problem on its own line of
    ``detail``) and nothing is written. A known ``id`` is moved when its times changed, else left alone."""
    filename, content_type, data = await _received(request)
    report = await run_in_threadpool(importer.import_data, session, office, principal, filename, content_type, data)
    return ImportOut(added=report.added, moved=report.moved, unchanged=report.unchanged)


@router.patch("/{appointment_id}")
def change_appointment(appointment_id: str, body: AppointmentChange, office: OfficeDep, session: SessionDep,
                       principal: Principal = Depends(EDITORS)) -> AppointmentOut:
    moving = body.start is not None or body.end is not None
    if moving == (body.status is not None):
        raise Invalid("invalid_request", "send either start and end (to move) or status, not both")
    if moving and (body.start is None or body.end is None):
        raise Invalid("invalid_request", "moving needs both start and end")
    if moving:
        row = service.move(session, office, appointment_id, body.start, body.end)  # type: ignore[arg-type]
    else:
        row = service.set_status(session, office, appointment_id, body.status)  # type: ignore[arg-type]
    auth.audit(session, principal, "appointment.move" if moving else f"appointment.{body.status}", office.id,
               appointment=row.id)
    return AppointmentOut.of(row)
