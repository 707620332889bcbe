"""Deployment loading: read a deployment folder (platform.toml, offices/*.toml), validate every file against
core's models and each enabled plugin's settings model, and report every problem as ``file: key: message``."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from core.config import (
    Deployment,
    Directory,
    OfficeConfig,
    OfficeFile,
    OfficeSection,
    PlatformFile,
    PluginsSection,
    format_loc,
)
from core.i18n import core_languages
from core.plugins import PluginManager
from core.problems import ConfigError, ConfigProblem


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
        problems += _sso_problems(display(platform_path), platform)
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
    if platform.sso is not None:
        known = ", ".join(sorted(seen)) or "none"
        for i, mapping in enumerate(platform.sso.groups):
            if mapping.office is not None and mapping.office not in seen:
                problems.append(ConfigProblem(display(platform_path), f"sso.groups[{i}].office",
                                              f"unknown office {mapping.office!r} (offices: {known})"))
    if problems:
        raise ConfigError(problems)
    return Deployment(root=root, name=platform.platform.name,
                      default_language=platform.platform.default_language, offices=offices,
                      demo=platform.platform.demo, metrics_token_env=platform.platform.metrics_token_env,
                      sso=platform.sso)


def _sso_problems(shown: str, platform: PlatformFile) -> list[ConfigProblem]:
    sso = platform.sso
    if sso is None:
        return []
    if not os.environ.get(sso.client_secret_env):
        return [ConfigProblem(shown, "sso.client_secret_env",
                              f"environment variable {sso.client_secret_env} (the SSO client secret) is not set")]
    return []


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
        hours=section.hours,
        devices=parsed.devices,
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
