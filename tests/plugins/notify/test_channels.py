"""How HTTP answers become retry decisions, and the webhook channel's authentication header."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from plugins.notify.channels import JsonWebhookChannel, OutgoingMessage, classify_response, parse_retry_after
from plugins.notify.settings import WebhookChannel
from tests.plugins.notify.fakes import ProviderServer


@pytest.mark.parametrize(("status", "headers", "retryable", "retry_after"), [
    (408, {}, True, None),
    (429, {"Retry-After": "120"}, True, 120.0),
    (500, {}, True, None),
    (503, {"Retry-After": "Tue, 24 Nov 2026 12:01:00 GMT"}, True, 60.0),
    (400, {}, False, None),
    (401, {}, False, None),
    (404, {}, False, None),
    (422, {"Retry-After": "5"}, False, None),  # a 4xx that retrying cannot fix, whatever it says
])
def test_http_answers(status: int, headers: dict[str, str], retryable: bool, retry_after: float | None,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    import plugins.notify.channels as channels

    monkeypatch.setattr(channels, "parse_retry_after", lambda value: parse_retry_after(
        value, now=datetime(2026, 11, 24, 12, 0, tzinfo=UTC)))
    result = classify_response(httpx.Response(status, headers=headers))
    assert (result.ok, result.retryable, result.error, result.retry_after) == (
        False, retryable, f"HTTP {status}", retry_after)


def test_success_and_unparseable_retry_after() -> None:
    assert classify_response(httpx.Response(204)).ok
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_webhook_posts_json_with_a_bearer_token(provider: ProviderServer) -> None:
    config = WebhookChannel(type="webhook", token_env="MBK_CHAT_TOKEN")
    with httpx.Client() as client:
        result = JsonWebhookChannel(config, "chat-token", client).send(
            OutgoingMessage(address=f"{provider.url}/hook/x", body="Amina har kommit."))
    assert result.ok
    [hook] = provider.hooks()
    assert hook.json == {"text": "Amina har kommit."}
    assert hook.headers["authorization"] == "Bearer chat-token"


def test_unreachable_webhook_is_retryable() -> None:
    with httpx.Client() as client:
        result = JsonWebhookChannel(WebhookChannel(type="webhook", timeout_seconds=1), None, client).send(
            OutgoingMessage(address="http://127.0.0.1:9/hook", body="x"))
    assert (result.ok, result.retryable, result.error) == (False, True, "ConnectError")


def test_retry_delays_follow_the_schedule_with_jitter_that_only_lengthens_them() -> None:
    from plugins.notify.service import retry_delay
    from plugins.notify.settings import NotifySettings

    settings = NotifySettings(retry_delays_seconds=(5, 60, 900))
    for attempts, low in ((1, 5), (2, 60), (3, 900)):
        delays = [retry_delay(settings, attempts) for _ in range(200)]
        assert all(low <= d <= low * 1.2 for d in delays), attempts
        assert len(set(delays)) > 100  # jittered: retries of many messages do not arrive in step
    assert retry_delay(settings, 4) is None  # the schedule is used up: the message fails
    assert settings.max_attempts == 4
