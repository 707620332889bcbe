"""`mbk check` (deployment loading) reports bad notify rules and unset secrets with their key paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config import ConfigError
from core.loading import load_deployment
from tests.plugins.notify.conftest import notify_and_publishers
from tests.plugins.notify.fakes import DEFAULT_RULES, write_deployment


def problems(root: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_deployment(root, notify_and_publishers())
    return [f"{p.path}: {p.message}" for p in caught.value.problems]


def rule(event: str, to: str, channel: str) -> str:
    return f'[[plugins.notify.rules]]\nevent = "{event}"\nto = "{to}"\nchannel = "{channel}"\n'


def test_valid_settings_load(tmp_path: Path) -> None:
    root = write_deployment(tmp_path, smtp_port=2525, provider="http://127.0.0.1:9")
    settings = load_deployment(root, notify_and_publishers()).office("testoffice").settings_for("notify")
    assert [r.event for r in settings.rules] == ["visitor.arrived", "visitor.arrived", "ticket.near", "ticket.called"]


def test_rules_naming_unknown_things_are_reported_with_key_paths(tmp_path: Path) -> None:
    rules = DEFAULT_RULES + "".join([
        rule("visitor.left", "officer", "email"),
        rule("visitor.arrived", "officer", "fax"),
        rule("visitor.arrived", "officer:nobody", "email"),
        rule("ticket.issued", "unit:nowhere", "chat"),
        rule("visitor.arrived", "visitor", "sms"),
        rule("ticket.near", "visitor", "email"),
        rule("ticket.called", "officer", "email"),
        rule("visitor.arrived", "officer:j-smith", "sms"),
    ])
    root = write_deployment(tmp_path, smtp_port=2525, provider="http://127.0.0.1:9", rules=rules)
    assert problems(root) == [
        "plugins.notify.rules[4].event: unknown event 'visitor.left' (events with messages: visitor.arrived, "
        "arrival.escalated, ticket.issued, ticket.near, ticket.called, device.offline, device.online, "
        "appointment.booked, appointment.reminder)",
        "plugins.notify.rules[5].channel: unknown channel 'fax' (channels: chat, email, sms)",
        "plugins.notify.rules[6].to: unknown officer 'nobody' (officers: a-lind, j-smith)",
        "plugins.notify.rules[7].to: unknown unit 'nowhere' (units: social)",
        "plugins.notify.rules[8].to: event 'visitor.arrived' has no visitor to send to (visitor messages: "
        "ticket.near, ticket.called, appointment.booked, appointment.reminder)",
        "plugins.notify.rules[9].to: a visitor can only be reached by SMS (their phone number from the ticket)",
        "plugins.notify.rules[10].to: event 'ticket.called' names no officer or unit; use officer:<id> or unit:<id>",
        "plugins.notify.rules[11].to: officer 'j-smith' has no address for a sms channel in [directory]",
    ]


def test_unset_secret_variables_are_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MBK_TEST_SMS_PASSWORD")
    monkeypatch.delenv("MBK_TEST_SMS_REPORT_TOKEN")
    root = write_deployment(tmp_path, smtp_port=2525, provider="http://127.0.0.1:9")
    assert problems(root) == [
        "plugins.notify.channels.sms.password_env: environment variable MBK_TEST_SMS_PASSWORD is not set",
        "plugins.notify.channels.sms.delivery_token_env: environment variable MBK_TEST_SMS_REPORT_TOKEN is not set",
    ]


def test_missing_ca_file_is_reported(tmp_path: Path) -> None:
    root = write_deployment(tmp_path, smtp_port=2525, provider="http://127.0.0.1:9")
    office_file = root / "offices" / "testoffice.toml"
    office_file.write_text(office_file.read_text().replace('from_address = "noreply@test.example"',
                                                           'from_address = "noreply@test.example"\n'
                                                           'ca_file = "/nonexistent/ca.pem"'))
    assert problems(root) == ["plugins.notify.channels.email.ca_file: no such file: /nonexistent/ca.pem"]


def test_settings_model_errors_name_the_key(tmp_path: Path) -> None:
    root = write_deployment(tmp_path, smtp_port=2525, provider="http://127.0.0.1:9",
                            rules=rule("visitor.arrived", "everybody", "email"))
    text = (root / "offices" / "testoffice.toml").read_text()
    (root / "offices" / "testoffice.toml").write_text(text.replace('sender = "Skarholmen"',
                                                                   'sender = "Medborgarkontoret"'))
    assert problems(root) == [
        "plugins.notify.channels.sms.sender: a sender is up to 11 letters and digits starting with a letter, or a "
        "phone number in E.164 (+46…)",
        "plugins.notify.rules[0].to: unknown recipient (use officer, unit, officer_or_unit, visitor, officer:<id> or "
        "unit:<id>)",
    ]


def test_a_rule_for_an_event_no_installed_plugin_publishes_is_reported(tmp_path: Path) -> None:
    import plugins.notify
    from core.plugins import PluginManager

    root = write_deployment(tmp_path, smtp_port=2525, provider="http://127.0.0.1:9")
    with pytest.raises(ConfigError) as caught:
        load_deployment(root, PluginManager.from_objects({"notify": plugins.notify, "queue": plugins.queue}))
    published = "counter.opened, counter.paused, device.offline, device.online, message.failed, message.sent, " \
                "ticket.called, ticket.cancelled, ticket.done, ticket.held, ticket.issued, ticket.near, " \
                "ticket.no_show, ticket.resumed, ticket.started, ticket.transferred, ticket.urgent"  # and core's own
    assert [f"{p.path}: {p.message}" for p in caught.value.problems] == [
        f"plugins.notify.rules[{i}].event: no installed plugin publishes 'visitor.arrived' (published: {published})"
        for i in (0, 1)]
