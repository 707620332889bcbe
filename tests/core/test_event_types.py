"""Events are a published contract: each plugin registers its types through mbk_event_types, core keeps them
by name, refuses a type name registered twice, and `mbk events types` lists them with their fields."""

from __future__ import annotations

import types

import pytest
from typer.testing import CliRunner

from core import cli as mbk
from core import cli_support
from core.events import DomainEvent
from core.plugins import PluginLoadError, hookimpl
from tests.support import builtin_plugins


def test_core_and_the_built_in_plugins_register_the_events_they_publish() -> None:
    event_types = builtin_plugins().event_types
    published = {name: event_types[name].plugin for name in event_types}
    assert published == {
        "visitor.arrived": "kiosk", "arrival.escalated": "kiosk", "arrival.acknowledged": "kiosk",
        "message.sent": "notify", "message.failed": "notify", "survey.completed": "surveys",
        "device.offline": "core", "device.online": "core",
        **{f"ticket.{name}": "queue" for name in ("issued", "called", "started", "near", "done", "no_show",
                                                  "cancelled", "transferred", "held", "resumed", "urgent")},
        "counter.paused": "queue", "counter.opened": "queue",
        **{f"appointment.{name}": "appointments" for name in ("booked", "moved", "cancelled", "arrived", "closed",
                                                              "reminder")},
    }
    called = event_types["ticket.called"]
    assert called.model.type == "ticket.called"
    assert ("counter", "str | None") in called.fields() and ("recall", "bool") in called.fields()


def _plugin(name: str, *event_types: object) -> types.SimpleNamespace:
    from core.plugins import Plugin

    return types.SimpleNamespace(mbk_register=hookimpl(lambda: Plugin(name=name)),
                                 mbk_event_types=hookimpl(lambda: list(event_types)))


def test_a_type_name_taken_by_another_plugin_is_refused() -> None:
    class Impostor(DomainEvent):
        type = "ticket.called"
        anything: str

    manager = builtin_plugins()
    with pytest.raises(PluginLoadError, match="impostor.*'ticket.called' is already published by plugin 'queue'"):
        manager.register(_plugin("impostor", Impostor), "impostor")
    assert "impostor" not in manager.plugins and manager.event_types["ticket.called"].plugin == "queue"
    assert manager.pm.get_plugin("impostor") is None  # not left half-registered


def test_only_domain_events_with_a_type_can_be_registered() -> None:
    manager = builtin_plugins()
    with pytest.raises(PluginLoadError, match="is not a DomainEvent subclass with a type"):
        manager.register(_plugin("sloppy", dict), "sloppy")
    assert len(manager.event_types) == 27  # core's and the built-in plugins' types, the sloppy one refused


def test_mbk_events_types_lists_every_type_with_its_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_support, "load_plugins", builtin_plugins)
    result = CliRunner().invoke(mbk.cli, ["events", "types"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    called = lines.index("ticket.called  (queue)")
    assert lines[called + 1:called + 9] == [
        "    ticket_id: str", "    number: str", "    service: str", "    counter: str | None",
        "    counter_name: str", "    recall: bool", "    language: str", "    seat: str | None"]
    assert "visitor.arrived  (kiosk)" in lines and "    first_name: str | None" in lines
    assert "survey.completed  (surveys)" in lines


def test_no_test_copies_a_registered_event_class() -> None:
    """Tests publish the registered classes (tests.support.registered_event): a copy drifts from the real one."""
    import ast
    from pathlib import Path

    registered = set(builtin_plugins().event_types)
    copies = []
    for path in sorted(Path(__file__).parents[1].rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.ClassDef) and node.name != "Impostor"  # above: a second registration, refused
                    and any(getattr(b, "id", None) == "DomainEvent" for b in node.bases)):
                for statement in node.body:
                    if (isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant)
                            and statement.value.value in registered):
                        copies.append(f"{path.name}: {node.name} ({statement.value.value})")
    assert copies == []
