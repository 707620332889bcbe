"""Per-office settings of the kiosk plugin."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from core.config import Localized, StrictModel
from plugins.kiosk.icons import ICONS

LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?")
_ADDRESS = re.compile(r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[A-Za-z0-9][A-Za-z0-9.-]*)):(?P<port>[0-9]{1,5})$")


class OfficeTile(StrictModel):
    """An office's own choice on the start screen: a link, or a ticket for a queue service."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")
    label: Localized
    description: Localized | None = None
    # A page of this platform ("/skarholmen/..."): a kiosk never leaves for other sites, where no inactivity
    # reset would bring it back for the next visitor.
    link: str | None = Field(default=None, pattern=r"^/[^/]")
    ticket_service: str | None = None
    icon: str = ""
    order: int = 500

    @field_validator("icon")
    @classmethod
    def _known_icon(cls, value: str) -> str:
        if value and value not in ICONS:
            raise ValueError(f"unknown icon {value!r} (icons: {', '.join(sorted(ICONS))})")
        return value

    @model_validator(mode="after")
    def _one_target(self) -> OfficeTile:
        if (self.link is None) == (self.ticket_service is None):
            raise ValueError("a tile needs exactly one of 'link' or 'ticket_service'")
        return self


class UrgentAnswer(StrictModel):
    """An answer that marks the visitor's ticket urgent: it comes first and stands out for the guides
    (``{ category = "financial-assistance", question = "need", option = "urgent" }``: no money for food today)."""

    category: str
    question: str
    option: str


class PrinterSetting(StrictModel):
    """A receipt printer (ESC/POS over TCP) beside one enrolled kiosk device, named as it was enrolled."""

    device: str = Field(min_length=1, max_length=100)
    # "host:port" (the port of a network receipt printer is 9100); "[::1]:9100" for an IPv6 address.
    address: str

    @field_validator("device")
    @classmethod
    def _device_name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a printer needs the name of the kiosk device it stands beside")
        return value.strip()

    @field_validator("address")
    @classmethod
    def _host_and_port(cls, value: str) -> str:
        host, port = split_address(value)
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    @property
    def host(self) -> str:
        return split_address(self.address)[0]

    @property
    def port(self) -> int:
        return split_address(self.address)[1]


def split_address(value: str) -> tuple[str, int]:
    """``host:port`` (or ``[v6]:port``) as (host, port); a ValueError says what is wrong with it."""
    match = _ADDRESS.match(value.strip())
    if match is None:
        raise ValueError(f"{value!r} is not a printer address: write host:port, e.g. \"10.0.0.5:9100\"")
    port = int(match["port"])
    if not 1 <= port <= 65535:
        raise ValueError(f"port {port} in {value!r} is outside 1–65535")
    return match["v6"] or match["host"], port


class KioskSettings(StrictModel):
    # Empty means every language of the office; otherwise a subset of them, first one is the start language.
    languages: tuple[str, ...] = ()
    inactivity_seconds: int = Field(default=90, ge=5, le=1800)
    warning_seconds: int = Field(default=20, ge=3, le=300)
    tiles: tuple[OfficeTile, ...] = ()
    # Guides offered under "talk to a guide" (guide ids); empty means every guide that has questions.
    guide_categories: tuple[str, ...] = ()
    # Folder with the office's own guides, relative to the deployment folder; overrides/extends the library.
    guides_folder: str = "kiosk/guides"
    waiting_area: Localized | None = None
    # An arrival whose officer got no message within this time escalates: the fallback address is told, guides
    # see the visitor waiting, and the visitor is sent to the information desk.
    escalate_after_seconds: int = Field(default=120, ge=1, le=3600)
    # How long the officer's "I am coming" link in the arrival message works.
    acknowledge_link_minutes: int = Field(default=240, ge=5, le=24 * 60)
    # Arrivals (they may hold a first name) are deleted after this many days.
    arrival_retention_days: int = Field(default=1, ge=0, le=90)
    # Answers to "talk to a guide" questions that make the ticket urgent.
    urgent_answers: tuple[UrgentAnswer, ...] = ()
    # Languages (codes such as "ti", "fa", "ku") a visitor can ask an interpreter for; empty: not asked.
    interpreter_languages: tuple[str, ...] = ()
    # Receipt printers for paper tickets, one per kiosk device (by its enrolled name). A kiosk without one
    # offers the browser's printing instead.
    printers: tuple[PrinterSetting, ...] = ()

    @field_validator("languages")
    @classmethod
    def _office_languages(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        office: Any = (info.context or {}).get("office")
        if office is not None:
            unknown = [lang for lang in value if lang not in office.languages]
            if unknown:
                raise ValueError(f"not a language of the office: {', '.join(unknown)} "
                                 f"(office languages: {', '.join(office.languages)})")
        if len(set(value)) != len(value):
            raise ValueError("a language is listed twice")
        return value

    @field_validator("interpreter_languages")
    @classmethod
    def _language_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        wrong = [code for code in value if not LANGUAGE_CODE.fullmatch(code)]
        if wrong:
            raise ValueError(f"not a language code: {', '.join(map(repr, wrong))} (write codes such as 'ti' or 'fa')")
        if len(set(value)) != len(value):
            raise ValueError("a language is listed twice")
        return value

    @model_validator(mode="after")
    def _warning_before_reset(self) -> KioskSettings:
        if self.warning_seconds >= self.inactivity_seconds:
            raise ValueError("warning_seconds must be shorter than inactivity_seconds")
        tile_ids = [t.id for t in self.tiles]
        if len(set(tile_ids)) != len(tile_ids):
            raise ValueError("two tiles have the same id")
        devices = [p.device.casefold() for p in self.printers]
        if len(set(devices)) != len(devices):
            raise ValueError("two printers are set for the same kiosk device")
        return self

    def printer_for(self, device_name: str) -> PrinterSetting | None:
        """The printer beside the kiosk device of that name (names compare without regard to case)."""
        wanted = device_name.strip().casefold()
        return next((p for p in self.printers if p.device.casefold() == wanted), None)

    def offered_languages(self, office_languages: tuple[str, ...]) -> tuple[str, ...]:
        return self.languages or office_languages
