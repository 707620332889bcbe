"""Staff see an event type by its name, in their language (the "What failed" page): every type core and the
built-in plugins publish carries a label, translated in each of the platform's languages; a type without one (or
no longer installed) is shown as itself."""

from __future__ import annotations

import pytest

from core.context import AppContext

LANGUAGES = ("sv", "ar", "so", "fi", "fa", "ti")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the registry and catalogs, not the database
def test_every_published_event_type_has_a_translated_name(ctx: AppContext) -> None:
    assert len(ctx.plugins.event_types) >= 27
    for name, registered in ctx.plugins.event_types.items():
        label = getattr(registered.model, "label", None)
        assert isinstance(label, str) and label != name, name
        assert ctx.event_label(name, "en") == label
        for language in LANGUAGES:
            assert ctx.event_label(name, language) != label, (name, language)
    assert ctx.event_label("ticket.called", "sv") == "Kallad till disken"
    assert ctx.event_label("appointment.moved", "sv") == "Tid flyttad"
    assert ctx.event_label("device.offline", "ar") == "جهاز غير متصل"  # core's own type, from core's catalog


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_type_without_a_name_is_shown_as_itself(ctx: AppContext) -> None:
    assert ctx.event_label("plugin.gone", "sv") == "plugin.gone"
