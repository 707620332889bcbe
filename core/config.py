"""Platform settings (environment) and deployment loading (TOML files).

A deployment folder holds ``platform.toml`` and ``offices/<office>.toml``. Loading validates the
whole folder and collects every problem before failing, so that an IT admin sees all of them at once,
each naming the file, the key path and what is wrong.
"""

from __future__ import annotations

import os
import re
import secrets
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.problems import ConfigError, ConfigProblem  # noqa: F401  (part of core.config's public names)

if TYPE_CHECKING:
    from core.plugins import PluginManager

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


def _validation_problems(file: str, prefix: str, error: ValidationError) -> list[ConfigProblem]:
    problems = []
    for err in error.errors():
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        path = ".".join(filter(None, [prefix, format_loc(loc)]))
        if err["type"] == "value_error" and "error" in err.get("ctx", {}):
            # A validator's own message already says what is wrong with which value.
            message = str(err["ctx"]["error"])
        else:
            message = {"extra_forbidden": "unknown key", "missing": "required field is missing"}.get(
                err["type"], err["msg"])
            if err["type"] not in ("extra_forbidden", "missing") and not isinstance(err.get("input"), dict | list):
                message += f" (got {err['input']!r})"
        problems.append(ConfigProblem(file, path, message))
    return problems


def _read_toml(path: Path, problems: list[ConfigProblem], display: str) -> dict[str, Any] | None:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        problems.append(ConfigProblem(display, "", f"not valid TOML: {exc}"))
    except OSError as exc:
        problems.append(ConfigProblem(display, "", f"cannot be read: {exc.strerror}"))
    return None


def _merge(defaults: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(defaults)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_deployment(
    root: Path | str, plugins: PluginManager, available_languages: Iterable[str] | None = None
) -> Deployment:
    """Read and validate a deployment folder. Raises ConfigError listing every problem found."""
    from core.web.i18n import core_languages

    root = Path(root)
    problems: list[ConfigProblem] = []
    languages = set(available_languages) if available_languages is not None else set(core_languages())

    def display(path: Path) -> str:
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)

    if not root.is_dir():
        raise ConfigError([ConfigProblem(display(root), "", "deployment folder does not exist")])

    platform_path = root / "platform.toml"
    platform = PlatformFile()
    if platform_path.exists():
        raw = _read_toml(platform_path, problems, display(platform_path))
        if raw is not None:
            try:
                platform = PlatformFile.model_validate(raw)
            except ValidationError as exc:
                problems += _validation_problems(display(platform_path), "", exc)
        if platform.platform.default_language not in languages:
            problems.append(ConfigProblem(
                display(platform_path), "platform.default_language",
                f"no translation for language {platform.platform.default_language!r} "
                f"(available: {', '.join(sorted(languages))})"))
        token_env = platform.platform.metrics_token_env
        if token_env is not None and not os.environ.get(token_env):
            problems.append(ConfigProblem(display(platform_path), "platform.metrics_token_env",
                                          f"environment variable {token_env} (the /metrics token) is not set"))
        for name in platform.plugins:
            if name not in plugins.plugins:
                problems.append(
                    ConfigProblem(
                        display(platform_path), f"plugins.{name}", _unknown_plugin_message(name, plugins)
                    )
                )

    office_files = sorted((root / "offices").glob("*.toml"))
    if not office_files:
        problems.append(ConfigProblem(display(root / "offices"), "", "no office files (offices/<office>.toml)"))

    offices: dict[str, OfficeConfig] = {}
    seen: dict[str, str] = {}
    for path in office_files:
        shown = display(path)
        raw = _read_toml(path, problems, shown)
        if raw is None:
            continue
        declared = raw.get("office")
        office_id = declared.get("id") if isinstance(declared, dict) else None
        if isinstance(office_id, str):
            if office_id in seen:
                problems.append(ConfigProblem(
                    shown, "office.id", f"office id {office_id!r} is already used by {seen[office_id]}"))
                continue
            seen[office_id] = shown
        office = _load_office(path, shown, raw, platform, display(platform_path), plugins, languages, problems)
        if office is not None:
            offices[office.id] = office

    # Checks across sections, by each enabled plugin, for every office that loaded cleanly.
    for office in offices.values():
        for extra in plugins.for_office(office).mbk_validate_office(office=office,
                                                                   event_types=plugins.event_types):
            problems += [_as_problem(display(office.source), p) for p in extra or ()]
    if problems:
        raise ConfigError(problems)
    return Deployment(root=root, name=platform.platform.name,
                      default_language=platform.platform.default_language, offices=offices,
                      demo=platform.platform.demo, metrics_token_env=platform.platform.metrics_token_env)


def _as_problem(shown: str, problem: ConfigProblem | str) -> ConfigProblem:
    if isinstance(problem, ConfigProblem):
        return problem
    return ConfigProblem(shown, "", problem)


def _unknown_plugin_message(name: str, plugins: PluginManager) -> str:
    installed = ", ".join(sorted(plugins.plugins)) or "none"
    return f"unknown plugin {name!r} (installed: {installed})"


def _load_office(
    path: Path,
    shown: str,
    raw: dict[str, Any],
    platform: PlatformFile,
    platform_shown: str,
    plugins: PluginManager,
    languages: set[str],
    problems: list[ConfigProblem],
) -> OfficeConfig | None:
    before = len(problems)
    parsed: OfficeFile | None = None
    try:
        parsed = OfficeFile.model_validate(raw)
    except ValidationError as exc:
        problems += _validation_problems(shown, "", exc)
    if parsed is not None:
        section: OfficeSection | None = parsed.office
        plugins_part = parsed.plugins
        for i, lang in enumerate(parsed.office.languages):
            if lang not in languages:
                problems.append(ConfigProblem(
                    shown, f"office.languages[{i}]",
                    f"no translation for language {lang!r} (available: {', '.join(sorted(languages))})"))
        problems += _directory_problems(shown, parsed.directory)
    else:
        # The office section is broken, but the plugin sections can still be checked, so that one run of
        # `mbk check` shows every problem of the file (problems in [plugins] itself are already reported).
        section = None
        try:
            plugins_part = PluginsSection.model_validate(raw.get("plugins", {}))
        except ValidationError:
            return None

    enabled = plugins_part.enabled
    plugin_sections = dict(plugins_part.model_extra or {})
    for i, name in enumerate(enabled):
        if name not in plugins.plugins:
            problems.append(ConfigProblem(shown, f"plugins.enabled[{i}]", _unknown_plugin_message(name, plugins)))
        elif name in enabled[:i]:
            problems.append(ConfigProblem(shown, f"plugins.enabled[{i}]", f"plugin {name!r} is listed twice"))
    for name, value in plugin_sections.items():
        if name not in plugins.plugins:
            problems.append(ConfigProblem(shown, f"plugins.{name}", _unknown_plugin_message(name, plugins)))
        elif not isinstance(value, dict):
            problems.append(ConfigProblem(shown, f"plugins.{name}", f"must be a table ([plugins.{name}])"))
        elif name not in enabled:
            # Settings for a plugin the office does not use are almost always a forgotten `enabled` entry.
            problems.append(ConfigProblem(shown, f"plugins.{name}",
                                          f"settings for plugin {name!r}, which plugins.enabled does not list"))

    settings: dict[str, BaseModel] = {}
    for name in dict.fromkeys(enabled):
        spec = plugins.plugins.get(name)
        section_raw = plugin_sections.get(name, {})
        if spec is None or not isinstance(section_raw, dict):
            continue
        defaults = platform.plugins.get(name, {})
        merged = _merge(defaults, section_raw)
        if spec.settings_model is None:
            if merged:
                problems.append(ConfigProblem(shown, f"plugins.{name}", f"plugin {name!r} takes no settings"))
            continue
        try:
            settings[name] = spec.settings_model.model_validate(merged, context={"office": section})
        except ValidationError as exc:
            for problem in _validation_problems(shown, f"plugins.{name}", exc):
                # A bad value inherited from platform.toml is fixed there, so name that file.
                key = problem.path.removeprefix(f"plugins.{name}.").split(".")[0].split("[")[0]
                if key in defaults and key not in section_raw:
                    problem = ConfigProblem(platform_shown, problem.path,
                                            f"{problem.message} (platform default used by {shown})")
                problems.append(problem)

    if len(problems) > before or parsed is None or section is None:
        return None
    return OfficeConfig(
        id=section.id,
        name=section.name,
        timezone=section.timezone,
        languages=section.languages,
        enabled_plugins=tuple(enabled),
        plugin_settings=settings,
        directory=parsed.directory,
        source=path,
        address=section.address,
        embed_origins=section.embed_origins,
    )


def _directory_problems(shown: str, directory: Directory) -> list[ConfigProblem]:
    problems = []
    for kind, entries in (("units", directory.units), ("officers", directory.officers)):
        seen: set[str] = set()
        for i, entry in enumerate(entries):
            if entry.id in seen:
                problems.append(ConfigProblem(shown, f"directory.{kind}[{i}].id", f"id {entry.id!r} is used twice"))
            seen.add(entry.id)
    unit_ids = {u.id for u in directory.units}
    for i, officer in enumerate(directory.officers):
        if officer.unit is not None and officer.unit not in unit_ids:
            known = ", ".join(sorted(unit_ids)) or "none"
            problems.append(ConfigProblem(shown, f"directory.officers[{i}].unit",
                                          f"unknown unit {officer.unit!r} (units: {known})"))
    return problems


def env_secret(variable: str) -> str | None:
    """Read a secret that a settings file names by its environment variable."""
    return os.environ.get(variable)
