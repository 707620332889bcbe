"""What core's own API answers, field by field, so that /docs shows each shape (the plugins declare theirs).

The handlers build the answers as dicts; these models declare them in the same key order, and FastAPI checks
each answer against its model on the way out.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "unavailable"]
    detail: str | None = Field(default=None, description="why not, when unavailable")


class OfficeOut(BaseModel):
    id: str
    name: str
    timezone: str
    languages: list[str]
    plugins: list[str] = Field(description="the plugins the office enables")


class PageLinkOut(BaseModel):
    label: str
    path: str
    audience: str = Field(description="visitors or staff")


class OfficeDetailOut(OfficeOut):
    pages: list[PageLinkOut]


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int = Field(description="seconds")


class AuditEntryOut(BaseModel):
    id: int
    at: str
    actor: str = Field(description='"user:NAME" or "device:NAME"')
    action: str
    office: str | None
    detail: dict[str, Any]


class PersonOut(BaseModel):
    """A staff member as the office sees them."""

    username: str
    display_name: str
    roles: list[str] = Field(description="their roles at this office")
    disabled: bool
    single_sign_on: bool
    has_password: bool


class PersonChanged(PersonOut):
    password_link: str | None = Field(description="a one-time link to choose a password, when one was asked for")


class PersonAdded(PersonOut):
    created: bool = Field(description="false: an existing account got roles here")
    password_link: str | None = Field(description="a new account's one-time link to choose its password")


class DeviceOut(BaseModel):
    id: int
    kind: str
    name: str
    state: str = Field(description="active, offline, not enrolled, expired or revoked")
    last_seen_at: str | None


class DeviceEnrolled(DeviceOut):
    enrolment_link: str
    enrolment_code: str
    enrolment_expires_at: str
    token: str = Field(description="the device's API token, shown only now")


class SpeechClipsOut(BaseModel):
    clips: bool = Field(description="false for a language without a clip set")
    texts: list[list[str] | None] = Field(description="per text, the URLs of its clips in order, or null")
