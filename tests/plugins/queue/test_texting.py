"""Offer only what can be done, on SQLite and PostgreSQL: the phone page offers "text me", and the API takes a
phone number, only where some enabled plugin says it can text the office's visitors (``mbk_message_reach``)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.web.app import AppContext, create_app
from tests.conftest import DEMO
from tests.support import device_header

API = "/api/v1/offices/skarholmen/queue"
HTML = {"Accept": "text/html", "Accept-Language": "en"}
SMS_CHANNEL = """# [plugins.notify.channels.sms]
# type = "sms"
# username = "u0123456789abcdef"
# password_env = "MBK_SMS_PASSWORD"
# sender = "Skarholmen"
# delivery_token_env = "MBK_SMS_REPORT_TOKEN"
"""
NEAR_RULE = """# [[plugins.notify.rules]]
# event = "ticket.near"
# to = "visitor"
# channel = "sms"
"""


@pytest.fixture
def texting_client(make_context: Callable[..., AppContext], tmp_path: Path,
                   monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The demo with its SMS channel and its "text the visitor when near" rule switched on."""
    monkeypatch.setenv("MBK_SMS_PASSWORD", "sms-secret")
    monkeypatch.setenv("MBK_SMS_REPORT_TOKEN", "report-token-0123456789")
    root = tmp_path / "demo"
    shutil.copytree(DEMO, root)
    office = root / "offices" / "skarholmen.toml"
    text = office.read_text(encoding="utf-8")
    assert SMS_CHANNEL in text and NEAR_RULE in text, "the demo's commented SMS settings changed: update this test"
    uncomment = lambda block: "\n".join(line.removeprefix("# ") for line in block.splitlines()) + "\n"  # noqa: E731
    office.write_text(text.replace(SMS_CHANNEL, uncomment(SMS_CHANNEL)).replace(NEAR_RULE, uncomment(NEAR_RULE)),
                      encoding="utf-8")
    ctx = make_context(deployment=root)
    with TestClient(create_app(ctx)) as client:
        client.headers.update(device_header(ctx, "skarholmen", "kiosk"))
        yield client


def test_where_a_rule_texts_visitors_the_phone_page_offers_it(texting_client: TestClient) -> None:
    mine = texting_client.post(f"{API}/tickets", json={"service": "guidance", "language": "en"}).json()
    page = texting_client.get(mine["status_path"], headers=HTML)
    assert "Text me" in page.text and 'name="phone"' in page.text
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    bad = texting_client.post(f"{mine['status_path']}/phone", data={"phone": "nope", "csrf_token": csrf})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text
    sent = texting_client.post(f"{mine['status_path']}/phone", data={"phone": "070 123 45 67", "csrf_token": csrf},
                               follow_redirects=False)
    assert sent.status_code == 303
    assert texting_client.get(f"{API}/tickets/{mine['id']}").json()["text_requested"] is True
    with_phone = texting_client.post(f"{API}/tickets", json={"service": "info", "language": "sv",
                                                             "phone": "0701234567"})
    assert with_phone.status_code == 201 and with_phone.json()["text_requested"] is True


def test_the_phone_pages_forms_answer_in_the_pages_language(texting_client: TestClient) -> None:
    """The page is in the ticket's language (Arabic) though the phone asks for English, or in the one the visitor
    picks on it (Swedish): a refused number, the page after "Text me" and after leaving the line stay in it."""
    refused = {"ar": "هذا لا يبدو رقم هاتف. اكتبه هكذا: 070 123 45 67.",
               "sv": "Det ser inte ut som ett telefonnummer. Skriv det som 070 123 45 67."}
    for picked, language in (("", "ar"), ("?lang=sv", "sv")):
        mine = texting_client.post(f"{API}/tickets", json={"service": "guidance", "language": "ar"}).json()
        page = texting_client.get(mine["status_path"] + picked, headers=HTML)
        assert f'<html lang="{language}"' in page.text
        csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        text_me, leave = (page.text.split(f'action="{mine["status_path"]}/{name}')[1].split('"')[0]
                          for name in ("phone", "cancel"))
        bad = texting_client.post(f"{mine['status_path']}/phone{text_me}", headers=HTML,
                                  data={"phone": "nope", "csrf_token": csrf})
        assert bad.status_code == 422 and f'<html lang="{language}"' in bad.text and refused[language] in bad.text
        sent = texting_client.post(f"{mine['status_path']}/phone{text_me}", headers=HTML,
                                   data={"phone": "070 123 45 67", "csrf_token": csrf})
        assert sent.status_code == 200 and f'<html lang="{language}"' in sent.text
        left = texting_client.post(f"{mine['status_path']}/cancel{leave}", data={"csrf_token": csrf}, headers=HTML)
        assert left.status_code == 200 and f'<html lang="{language}"' in left.text


def test_without_a_rule_no_number_is_taken(client: TestClient, ctx: AppContext) -> None:
    kiosk = device_header(ctx, "skarholmen", "kiosk")
    mine = client.post(f"{API}/tickets", headers=kiosk, json={"service": "guidance", "language": "en"}).json()
    refused = client.post(f"{API}/tickets/{mine['id']}/phone", json={"phone": "0701234567"})
    assert refused.status_code == 409 and refused.json()["error"] == "texts_unavailable"
    withdrawn = client.post(f"{API}/tickets/{mine['id']}/phone", json={"phone": None})  # withdrawing always works
    assert withdrawn.status_code == 200 and withdrawn.json()["text_requested"] is False
