"""Composition: settings + plugins + deployment + database → the AppContext every request handler and command uses."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, select_autoescape
from jinja2.bccache import Bucket, BytecodeCache
from markupsafe import Markup

from core import voices
from core.config import Deployment, OfficeConfig, PlatformSettings
from core.db import Database
from core.dispatch import Dispatcher, tell_publishers_the_handlers
from core.hookspecs import AdminPanel, PageLink
from core.i18n import LANGUAGE_COOKIE, N_, Translator, language_info, negotiate
from core.live import LiveBroker, attach_broker
from core.loading import load_deployment
from core.plugins import OfficeHooks, PluginManager
from core.speech import ClipLibrary, Phrases

WEB = Path(__file__).resolve().parent / "web"
DISPLAY_COOKIE = "mbk_display"  # "large", "contrast" or both, comma-separated: set by the page's toggles


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use); pages put it in a meta tag and forms."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


@dataclass
class AppContext:
    """Everything a request handler needs, on ``app.state.ctx``; no other process-wide state."""

    settings: PlatformSettings
    deployment: Deployment
    plugins: PluginManager
    db: Database
    secret_key: str
    translator: Translator
    templates: Environment
    speech: ClipLibrary
    broker: LiveBroker = field(default_factory=LiveBroker)
    dispatcher: Dispatcher | None = None
    _panel_translators: dict[str, Translator] = field(default_factory=dict, init=False, repr=False)
    _phrases: dict[tuple[str, str], Phrases] = field(default_factory=dict, init=False, repr=False)

    def hooks(self, office: OfficeConfig) -> OfficeHooks:
        return self.plugins.for_office(office)

    def language(self, request: Request, office: OfficeConfig | None) -> str:
        cached = getattr(request.state, "language", None)
        if cached:
            return cached
        language = negotiate(request.query_params.get("lang"), request.cookies.get(LANGUAGE_COOKIE),
                             request.headers.get("accept-language"), self.languages(office))
        request.state.language = language
        return language

    def languages(self, office: OfficeConfig | None) -> tuple[str, ...]:
        """An office's languages; for pages of no office (landing, login) every office's, the default first."""
        if office is not None:
            return office.languages
        default = self.deployment.default_language
        others = sorted({lang for o in self.deployment.offices.values() for lang in o.languages} - {default})
        return (default, *others)

    def speech_phrases(self, office: OfficeConfig, language: str) -> Phrases:
        """Everything the office's screens and announcements say in ``language`` (cached: settings are fixed)."""
        key = (office.id, language)
        if key not in self._phrases:
            self._phrases[key] = voices.office_phrases(self.plugins, office, language)
        return self._phrases[key]

    def event_label(self, event_type: str, language: str) -> str:
        """An event type's name for staff in ``language``: the ``label`` its publisher gave the type (translated
        from the catalogs), or the type itself when it has none or is no longer installed."""
        registered = self.plugins.event_types.get(event_type)
        label = registered.model.label if registered else None
        return self.translator.gettext(language)(label) if label else event_type

    def event_labels(self, language: str) -> Callable[[str], str]:
        """``event_label`` in one language, as the hooks that name event types get it."""
        return partial(self.event_label, language=language)

    def page_links(self, office: OfficeConfig) -> list[PageLink]:
        links = [link for group in self.hooks(office).mbk_page_links(office=office) for link in group]
        links.append(PageLink(label=N_("Admin dashboard"), path=f"/{office.id}/admin", audience="staff", order=900))
        return sorted(links, key=lambda link: (link.order, link.path))

    def links_by_audience(self, office: OfficeConfig) -> tuple[list[PageLink], list[PageLink]]:
        """(pages for visitors, pages for staff and devices), each in the plugins' order."""
        links = self.page_links(office)
        return ([link for link in links if link.audience == "visitor"],
                [link for link in links if link.audience != "visitor"])

    def render_panel(self, office: OfficeConfig, panel: AdminPanel, language: str) -> Markup:
        """An admin panel: its plugin's template with its context, translated with that plugin's catalogs first
        (a msgid another plugin translates differently keeps the panel's own translation), in the page's
        direction."""
        plugin = panel.template.partition("/")[0]
        translator = self._panel_translators.get(plugin)
        if translator is None:
            locale = self.plugins.plugins[plugin].locale if plugin in self.plugins.plugins else None
            translator = self._panel_translators[plugin] = Translator([locale] if locale else [])
        context = {"office": office, "lang": language, "dir": language_info(language).dir,
                   "_": translator.gettext(language), "ngettext": translator.ngettext(language), **panel.context}
        return Markup(self.templates.get_template(panel.template).render(context))

    def render(self, request: Request, template: str, *, office: OfficeConfig | None = None,
               status_code: int = 200, headers: dict[str, str] | None = None, **values: Any) -> HTMLResponse:
        language = self.language(request, office)
        info = language_info(language)
        # display.js writes the cookie URL-encoded ("large%2Ccontrast")
        display = set(unquote(request.cookies.get(DISPLAY_COOKIE) or "").split(","))
        languages = [language_info(code) for code in self.languages(office)]
        context = {
            "request": request,
            "office": office,
            "office_name": office.name.get_text(language) if office else self.deployment.name.get_text(language),
            "lang": language,
            "dir": info.dir,
            "languages": languages,
            "large_text": "large" in display,
            "high_contrast": "contrast" in display,
            "read_aloud": "speech" in display,  # a shared screen's "read aloud" (core/web/static/speech.js)
            "csrf_token": csrf_token(request),
            "_": self.translator.gettext(language),
            "ngettext": self.translator.ngettext(language),
            "current_path": request.url.path,
            # an enrolled device's pages check in every minute (device.js), so that it is not shown offline
            "is_device": getattr(getattr(request.state, "principal", None), "kind", None) == "device",
            **values,
        }
        body = self.templates.get_template(template).render(context)
        response = HTMLResponse(body, status_code=status_code, headers=headers)
        chosen = request.query_params.get("lang")
        if chosen == language and request.cookies.get(LANGUAGE_COOKIE) != language:
            response.set_cookie(LANGUAGE_COOKIE, language, max_age=60 * 60 * 24 * 365, samesite="lax",
                                secure=self.settings.secure_cookies)
        return response


class _CompiledTemplates(BytecodeCache):
    """Compiled templates shared by every Environment of the process (keyed by file and checked against the
    source, so an edited template is compiled again): an app built again in the same process (tests build
    hundreds) does not compile its pages again, which took 0.4-1 s per app."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


_compiled_templates = _CompiledTemplates()


def build_templates(plugins: PluginManager) -> Environment:
    loaders = {name: FileSystemLoader(str(p.templates)) for name, p in plugins.plugins.items() if p.templates}
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(WEB / "templates")), PrefixLoader(loaders)]),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        bytecode_cache=_compiled_templates,
    )
    return env


def create_context(settings: PlatformSettings | None = None, plugins: PluginManager | None = None,
                   database: Database | None = None) -> AppContext:
    """Load and validate everything; raises ConfigError or PluginLoadError before anything starts."""
    settings = settings or PlatformSettings()
    plugins = plugins or PluginManager.from_entry_points()
    deployment = load_deployment(settings.deployment, plugins)
    secret, _generated = settings.effective_secret_key()
    database = database or Database(settings.database_url, settings.db_pool_size, settings.db_max_overflow,
                                    settings.db_pool_timeout)
    translator = Translator([p.locale for p in plugins.plugins.values() if p.locale])
    ctx = AppContext(settings=settings, deployment=deployment, plugins=plugins, db=database, secret_key=secret,
                     translator=translator, templates=build_templates(plugins),
                     speech=voices.library(settings, deployment))
    attach_broker(database, ctx.broker)
    tell_publishers_the_handlers(database, plugins, deployment)
    return ctx
