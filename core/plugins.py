"""Plugin contract and plugin manager.

A plugin is a module (or object) with hook implementations, found through the entry-point group
``medborgarkontor.plugins``. Its ``mbk_register()`` returns a :class:`Plugin` describing its static parts.
Hook calls for an office reach only the plugins that office enables.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.metadata
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from core import devices, hookspecs
from core.contract import Plugin
from core.events import EventTypes

__all__ = ["ENTRY_POINT_GROUP", "PROJECT", "OfficeHooks", "Plugin", "PluginLoadError", "PluginManager", "hookimpl"]

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.orm import Session

    from core.config import OfficeConfig
    from core.contract import LiveFigure

PROJECT = "medborgarkontor"
CORE_DISTRIBUTION = "medborgarkontor"
ENTRY_POINT_GROUP = "medborgarkontor.plugins"

hookimpl = pluggy.HookimplMarker(PROJECT)


class PluginLoadError(Exception):
    """A plugin could not be imported or registered; the message names the plugin."""


@dataclass
class PluginManager:
    """The set of installed plugins and their hooks. Build one per app (tests build theirs fresh)."""

    pm: pluggy.PluginManager = field(default_factory=lambda: _new_pluggy())
    plugins: dict[str, Plugin] = field(default_factory=dict)
    event_types: EventTypes = field(default_factory=lambda: core_event_types())
    _office_hooks: dict[tuple[str, ...], OfficeHooks] = field(default_factory=dict)
    # office → plugin → the event types it handles (None: all)
    _handled_events: dict[str, dict[str, frozenset[str] | None]] = field(default_factory=dict)

    @classmethod
    def from_entry_points(cls, only: Iterable[str] | None = None) -> PluginManager:
        manager = cls()
        wanted = set(only) if only is not None else None
        for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            if wanted is not None and ep.name not in wanted:
                continue
            if ep.name in manager.plugins:
                continue  # the same distribution seen twice on sys.path
            try:
                module = ep.load()
            except Exception as exc:  # any import error must name the plugin, not crash anonymously
                raise PluginLoadError(
                    f"plugin {ep.name!r} ({ep.value}) failed to load: {type(exc).__name__}: {exc}"
                ) from exc
            manager.register(module, ep.name, ep.dist.version if ep.dist else None)
        manager.check_hooks()
        return manager

    @classmethod
    def from_objects(cls, objects: dict[str, Any]) -> PluginManager:
        manager = cls()
        for name, obj in objects.items():
            manager.register(obj, name)
        manager.check_hooks()
        return manager

    def check_hooks(self) -> None:
        """Every hook implementation names a hook of core/hookspecs.py (pluggy's check_pending): a misspelt one
        would otherwise never be called, silently."""
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            name = self.pm.get_name(exc.plugin) or repr(exc.plugin)
            raise PluginLoadError(f"plugin {name!r}: {exc} (the hooks are listed in core/hookspecs.py)") from None

    def register(self, obj: Any, name: str, version: str | None = None) -> Plugin:
        """Register a plugin; ``version`` is its distribution's, used when ``mbk_register()`` names none."""
        if not hasattr(obj, "mbk_register"):
            raise PluginLoadError(f"plugin {name!r} has no mbk_register() hook")
        try:
            self.pm.register(obj, name=name)
            spec = obj.mbk_register()
            if not isinstance(spec, Plugin):
                raise TypeError("mbk_register() must return core.plugins.Plugin")
            if spec.name != name:
                raise ValueError(f"mbk_register() returned name {spec.name!r}, the entry point is {name!r}")
            spec = dataclasses.replace(spec, version=spec.version or version or _distribution_version(obj) or "0")
            _check_core_version(spec)
            for impl in self.pm.hook.mbk_event_types.get_hookimpls():
                if impl.plugin_name == name:
                    self.event_types.add(name, impl.function() or ())
        except Exception as exc:
            if self.pm.is_registered(obj):
                self.pm.unregister(obj)  # half-registered plugins would still answer hooks
            if isinstance(exc, PluginLoadError):
                raise
            raise PluginLoadError(f"plugin {name!r} failed to register: {type(exc).__name__}: {exc}") from exc
        self.plugins[name] = spec
        self._office_hooks.clear()
        self._handled_events.clear()
        return spec

    @property
    def hook(self) -> Any:
        """Hooks over every installed plugin (platform-wide hooks such as the CLI)."""
        return self.pm.hook

    def for_office(self, office: OfficeConfig) -> OfficeHooks:
        return self.for_plugins(office.enabled_plugins)

    def for_plugins(self, enabled: Iterable[str]) -> OfficeHooks:
        key = tuple(sorted(enabled))
        hooks = self._office_hooks.get(key)
        if hooks is None:
            excluded = [self.pm.get_plugin(n) for n in self.plugins if n not in key]
            hooks = OfficeHooks(self.pm, [p for p in excluded if p is not None])
            self._office_hooks[key] = hooks
        return hooks

    def event_handlers(self, office: OfficeConfig | None, event_type: str) -> list[str]:
        """The office's enabled plugins whose ``mbk_handle_event`` acts on events of this type
        (``mbk_handled_events``; a plugin without it: every type). Asked once per office: settings are fixed."""
        if office is None:
            return []
        handled = self._handled_events.get(office.id)
        if handled is None:
            declared = dict(self.implementations("mbk_handled_events", office.enabled_plugins))
            handled = {}
            for plugin, _ in self.implementations("mbk_handle_event", office.enabled_plugins):
                types = declared[plugin](office=office) if plugin in declared else None
                handled[plugin] = None if types is None else frozenset(types)
            self._handled_events[office.id] = handled
        return [plugin for plugin, types in handled.items() if types is None or event_type in types]

    def implementations(self, hook_name: str, enabled: Iterable[str]) -> list[tuple[str, Any]]:
        """(plugin name, function) for each enabled plugin implementing a hook, for per-plugin calls."""
        caller = getattr(self.pm.hook, hook_name)
        wanted = set(enabled)
        return [(impl.plugin_name, impl.function) for impl in caller.get_hookimpls() if impl.plugin_name in wanted]


class OfficeHooks:
    """Hook callers restricted to one office's enabled plugins (pluggy's subset_hook_caller), cached."""

    def __init__(self, pm: pluggy.PluginManager, excluded: list[Any]):
        self._pm = pm
        self._excluded = excluded
        self._callers: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("mbk_"):
            raise AttributeError(name)
        caller = self._callers.get(name)
        if caller is None:
            caller = self._pm.subset_hook_caller(name, remove_plugins=self._excluded)
            self._callers[name] = caller
        return caller


def core_event_types() -> EventTypes:
    """The registry, holding core's own event types (``device.offline``) under the name "core"."""
    types = EventTypes()
    types.add("core", devices.EVENT_TYPES)
    return types


def core_version() -> str:
    return importlib.metadata.version(CORE_DISTRIBUTION)


def _distribution_version(obj: Any) -> str | None:
    """The version of the installed distribution that holds ``obj``'s module file. A top-level name alone is not
    enough: some distributions ship a stray top-level package (python-barcode installs ``tests/``)."""
    return _module_distribution_version(getattr(obj, "__module__", None) or getattr(obj, "__name__", ""),
                                        tuple(sys.path))


@functools.lru_cache(maxsize=64)
def _module_distribution_version(module: str, search_path: tuple[str, ...]) -> str | None:
    """Per module and search path, as ``_distributions_of``: reading a distribution's file list took ~25 ms per
    plugin at every registration (every app a test builds registers the built-in plugins anew)."""
    path = module.replace(".", "/")
    own_files = {f"{path}.py", f"{path}/__init__.py"}
    for distribution in _distributions_of(module.split(".")[0], search_path):
        if any(str(file) in own_files for file in distribution.files or ()):
            return distribution.version
    return None


@functools.lru_cache(maxsize=16)
def _distributions_of(top_level: str, search_path: tuple[str, ...]) -> list[importlib.metadata.Distribution]:
    """The installed distributions that provide ``top_level``, per search path: reading every installed
    distribution's file list took 0.4 s per plugin at every start of an app. A plugin installed onto a new path
    entry is found, since the path is part of the key."""
    del search_path  # the cache key only
    return [importlib.metadata.distribution(name)
            for name in importlib.metadata.packages_distributions().get(top_level, [])]


def _check_core_version(spec: Plugin) -> None:
    if not spec.core_versions:
        return
    try:
        supported = SpecifierSet(spec.core_versions)
    except InvalidSpecifier:
        raise PluginLoadError(f"plugin {spec.name!r}: core_versions {spec.core_versions!r} is not a version "
                              "specifier such as '>=0.1,<0.3'") from None
    running = core_version()
    if Version(running) not in supported:
        raise PluginLoadError(f"plugin {spec.name!r} {spec.version} supports core {spec.core_versions}, but this is "
                              f"core {running}: install a version of the plugin made for core {running}")


class CoreHooks:
    """Core's own answers to hooks, which every office gets (core is no plugin, and no office switches it off):
    they name no plugin, and reach plugins only through the hooks, like any other answer."""

    @hookimpl
    def mbk_live_figures(self, office: OfficeConfig, session: Session, language: str, now: datetime
                         ) -> list[LiveFigure]:
        return [devices.offline_figure(session, office, language, now)]


CORE_HOOKS = "core"  # the name core's answers are registered under (a plugin cannot take it)


def _new_pluggy() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(CoreHooks(), name=CORE_HOOKS)
    return pm
