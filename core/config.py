"""Platform settings (environment) and deployment loading (TOML files).

A deployment folder holds ``platform.toml`` and ``offices/<office>.toml``. Loading validates the
whole folder and collects every problem before failing, so that an IT admin sees all of them at once,
each naming the file, the key path and what is wrong.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.problems import ConfigError, ConfigProblem  # noqa: F401  (part of core.config's public names)

ROOT = Path(__file__).resolve().parent.parent


class PlatformSettings(BaseSettings):
    """Process-wide settings, from environment variables prefixed ``MBK_``."""

    model_config = SettingsConfigDict(env_prefix="MBK_", extra="ignore")

    database_url: str = f"sqlite:///{ROOT / 'var' / 'medborgarkontor.db'}"
    deployment: Path = ROOT / "deployments" / "demo"
    secret_key: SecretStr | None = None
    log_level: str = "INFO"
    base_url: str = "http://127.0.0.1:8000"
    # Cookies marked Secure; turn off only for plain-http local runs.
    secure_cookies: bool = False
    # Run the outbox dispatcher inside the web process (one per process is fine: deliveries are claimed).
    run_dispatcher: bool = True
    # Demo deployments: where `mbk serve --catch-mail` keeps the e-mails the demo sends (read at /demo/mail).
    demo_mail_dir: Path = ROOT / "var" / "demo-mail"
    # PostgreSQL connections per process: a pool of this many, and up to db_max_overflow more at peaks
    # (budget: processes × (pool + overflow + 1 for LISTEN) below the server's max_connections; docs/deploying.md).
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=20, ge=0)
    # How long a request waits for a free connection before it is answered 503 with Retry-After.
    db_pool_timeout: float = Field(default=30, gt=0)
    # Delivered domain events are deleted after this many days by `mbk purge` (payloads may hold a phone number).
    event_retention_days: int = Field(default=7, ge=1)
    # Largest request body accepted; a larger one gets 413 before it is read (Content-Length) or as soon as the
    # streamed bytes pass it (chunked). The biggest legitimate bodies (settings forms, survey answers) are a few kB.
    max_request_bytes: int = Field(default=1024 * 1024, ge=1024)

    def effective_secret_key(self) -> tuple[str, bool]:
        """The secret key and whether it was generated (demo only: sessions do not survive a restart)."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value(), False
        return secrets.token_urlsafe(32), True


class Localized(dict[str, str]):
    """A text in several languages, e.g. ``{sv = "Kö", en = "Queue"}``."""

    def get_text(self, language: str, fallback: str = "sv") -> str:
        if language in self:
            return self[language]
        if fallback in self:
            return self[fallback]
        return next(iter(self.values()), "")

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(
            cls, handler(dict[str, str]), serialization=core_schema.plain_serializer_function_ser_schema(dict)
        )


class StrictModel(BaseModel):
    """Base for every settings model: unknown keys are errors and values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Officer(StrictModel):
    """A case officer (handläggare) visitors can announce their arrival to."""

    id: str
    name: str
    unit: str | None = None
    email: str | None = None
    phone: str | None = None
    chat_webhook: str | None = None
    language: str = "sv"
    booking_codes: tuple[str, ...] = ()


class Unit(StrictModel):
    id: str
    name: Localized
    email: str | None = None
    phone: str | None = None
    waiting_area: Localized | None = None


class Directory(StrictModel):
    """Who works at the office, for arrivals and notifications. Addresses are staff addresses, not visitors'."""

    officers: tuple[Officer, ...] = ()
    units: tuple[Unit, ...] = ()

    def officer(self, officer_id: str) -> Officer | None:
        return next((o for o in self.officers if o.id == officer_id), None)

    def unit(self, unit_id: str) -> Unit | None:
        return next((u for u in self.units if u.id == unit_id), None)


class OfficeSection(StrictModel):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    name: Localized
    timezone: str = "Europe/Stockholm"
    languages: tuple[str, ...] = ("sv", "en")
    address: str | None = None
    # Origins (scheme://host[:port]) that may show this office's embeddable pages, such as the display
    # board, in a frame (an intranet page); every other page, and every other origin, is refused framing.
    embed_origins: tuple[str, ...] = ()

    @field_validator("embed_origins")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            if not re.fullmatch(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?", origin):
                raise ValueError(f"{origin!r} is not an origin: use scheme://host[:port], e.g. "
                                 "'https://intranet.example.org', without a path")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like 'Europe/Stockholm')") from None
        return value

    @field_validator("languages")
    @classmethod
    def _at_least_one(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("an office needs at least one language")
        if len(set(value)) != len(value):
            raise ValueError("a language is listed twice")
        return value


class PluginsSection(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    enabled: tuple[str, ...] = ()


class OfficeFile(StrictModel):
    office: OfficeSection
    plugins: PluginsSection = PluginsSection()
    directory: Directory = Directory()


class PlatformSection(StrictModel):
    name: Localized = Localized(sv="Medborgarkontor", en="Citizen offices")
    default_language: str = "sv"
    # A demonstration deployment: `mbk demo-access` may create a login and device links for it.
    demo: bool = False
    # The environment variable holding the token of /metrics (Prometheus); unset: /metrics is off.
    metrics_token_env: str | None = None


class PlatformFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    platform: PlatformSection = PlatformSection()
    # Platform-wide defaults per plugin, overridden key by key in each office file.
    plugins: dict[str, dict[str, Any]] = {}


@dataclass(frozen=True)
class OfficeConfig:
    """One office, fully validated: the core section plus every enabled plugin's settings object."""

    id: str
    name: Localized
    timezone: str
    languages: tuple[str, ...]
    enabled_plugins: tuple[str, ...]
    plugin_settings: Mapping[str, BaseModel]
    directory: Directory
    source: Path
    address: str | None = None
    embed_origins: tuple[str, ...] = ()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def enables(self, plugin: str) -> bool:
        return plugin in self.enabled_plugins

    def settings_for(self, plugin: str) -> Any:
        """The validated settings object of an enabled plugin (None for a plugin without settings)."""
        return self.plugin_settings.get(plugin)


@dataclass(frozen=True)
class Deployment:
    root: Path
    name: Localized
    default_language: str
    offices: Mapping[str, OfficeConfig] = field(default_factory=dict)
    demo: bool = False
    metrics_token_env: str | None = None

    def office(self, office_id: str) -> OfficeConfig | None:
        return self.offices.get(office_id)


def format_loc(loc: Iterable[int | str]) -> str:
    """Turn a pydantic error location into a TOML-like key path: ``services[1].prefix``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def env_secret(variable: str) -> str | None:
    """Read a secret that a settings file names by its environment variable."""
    return os.environ.get(variable)
