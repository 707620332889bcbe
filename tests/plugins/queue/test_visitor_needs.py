"""What visitors say about their need reaches the guide (issue 15), on SQLite and PostgreSQL: an answer the office
marks urgent makes an urgent ticket, and an interpreter request in the visitor's chosen language, through the
ticket hook (the kiosk never imports the queue)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from core.config import ConfigError
from core.loading import load_deployment
from core.web.app import AppContext
from tests.support import bearer, builtin_plugins, device_header

KIOSK = "/api/v1/offices/skarholmen/kiosk"
QUEUE = "/api/v1/offices/skarholmen/queue"


def talk(client: TestClient, kiosk: dict[str, str], key: str, need: str, **fields: object):  # type: ignore[no-untyped-def]
    return client.post(f"{KIOSK}/tickets", headers=kiosk, json={
        "language": "ar", "idempotency_key": key, "category": "financial-assistance",
        "answers": {"need": need, "tried": "nothing"}, **fields})


def test_an_urgent_answer_and_an_interpreter_request_reach_the_guides(
        client: TestClient, ctx: AppContext, make_user: Callable[..., str]) -> None:
    kiosk = device_header(ctx, "skarholmen", "kiosk")
    guide = bearer(client, make_user("guide"))
    first = talk(client, kiosk, "key-first-0001", "first")
    urgent = talk(client, kiosk, "key-urgent-0001", "urgent", interpreter="ti")
    assert first.status_code == urgent.status_code == 201, urgent.text
    line = client.get(f"{QUEUE}/tickets", headers=guide, params={"lang": "sv"}).json()
    assert [(t["number"], t["urgent"]) for t in line] == [(urgent.json()["number"], True),
                                                          (first.json()["number"], False)]  # urgent first
    assert (line[0]["interpreter"], line[0]["interpreter_name"]) == ("ti", "tigrinja · ትግርኛ")
    assert line[1]["interpreter"] is None
    assert "urgent" not in urgent.json() and "interpreter" not in urgent.json()  # nothing of it on the receipt

    refused = talk(client, kiosk, "key-german-0001", "first", interpreter="de")  # not one the office offers
    assert refused.status_code == 422 and "اختر" in refused.json()["detail"]


def test_the_talk_screen_offers_the_interpreter_languages_by_their_own_names(client: TestClient,
                                                                             ctx: AppContext) -> None:
    kiosk = device_header(ctx, "skarholmen", "kiosk")
    page = client.get("/skarholmen/kiosk/talk/financial-assistance?lang=sv", headers=kiosk).text
    assert "Behöver du tolk?" in page
    assert '<span lang="ti" dir="ltr">ትግርኛ</span>' in page and '<span lang="ar" dir="rtl">العربية</span>' in page


def test_mbk_check_names_an_urgent_answer_that_does_not_exist(tmp_path: Path) -> None:
    demo = Path(__file__).resolve().parents[3] / "deployments" / "demo"
    root = tmp_path / "dep"
    (root / "offices").mkdir(parents=True)
    (root / "platform.toml").write_text((demo / "platform.toml").read_text(encoding="utf-8"), encoding="utf-8")
    office = (demo / "offices" / "skarholmen.toml").read_text(encoding="utf-8")
    office = office.replace('question = "need", option = "urgent"', 'question = "need", option = "hungry"')
    (root / "offices" / "skarholmen.toml").write_text(office, encoding="utf-8")
    try:
        load_deployment(root, builtin_plugins())
    except ConfigError as error:
        problems = [f"{p.path}: {p.message}" for p in error.problems]
    else:
        problems = []
    assert problems == ["plugins.kiosk.urgent_answers[0].option: question 'need' has no option 'hungry' "
                        "(options: first, continue, decision, urgent)"]
