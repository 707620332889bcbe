"""An arrival tells the truth, on SQLite and PostgreSQL: its notification state follows the messenger's events
(through core, never its tables), it escalates when nobody was told in time, and the officer's "I am coming"
link works once, expires, and reveals nothing."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner
from sqlalchemy import select

from core.db import utcnow
from core.events import Event, OutboxEvent
from core.web.app import AppContext
from plugins.kiosk import arrivals
from plugins.kiosk.arrivals import AcknowledgeLinks
from plugins.kiosk.models import Arrival
from tests.support import device_header

API = "/api/v1/offices/testby/kiosk"
HTML = {"accept": "text/html", "accept-language": "en"}


def _links(ctx: AppContext) -> AcknowledgeLinks:
    return AcknowledgeLinks(ctx.secret_key, ctx.settings.base_url)


def _arrive(ctx: AppContext, office_id: str = "testby", officer_id: str = "a-lind", key: str = "k-arrive-01",
            first_name: str | None = "Amina") -> str:
    office = ctx.deployment.office(office_id)
    with ctx.db.session() as session:
        done = arrivals.register_arrival(session, office, reach=ctx.hooks(office).mbk_message_reach,
                                         links=_links(ctx), language="en", key=key, officer_id=officer_id,
                                         first_name=first_name)
        return done.arrival.id


def _outcome(ctx: AppContext, kind: str, arrival_id: str, office_id: str = "testby",
             about: str = "visitor.arrived") -> None:
    """What a messenger publishes about the arrival's message, handed to the kiosk as core's dispatcher does."""
    office = ctx.deployment.office(office_id)
    event = Event(1, office_id, f"message.{kind}", {"about": about, "arrival_id": arrival_id, "channel": "email"},
                  utcnow())
    with ctx.db.session() as session:
        ctx.hooks(office).mbk_handle_event(event=event, office=office, session=session)


def _view(ctx: AppContext, arrival_id: str, office_id: str = "testby") -> dict[str, Any]:
    office = ctx.deployment.office(office_id)
    with ctx.db.session() as session:
        return arrivals.arrival_view(office, arrivals.get_arrival(session, office, arrival_id, "en"), "en")


def _escalations(ctx: AppContext) -> list[dict[str, Any]]:
    with ctx.db.session() as session:
        return [dict(e.payload) for e in session.scalars(select(OutboxEvent)
                                                          .where(OutboxEvent.type == "arrival.escalated"))]


def test_the_state_follows_the_messengers_events(kiosk_ctx: AppContext) -> None:
    arrival_id = _arrive(kiosk_ctx)
    assert _view(kiosk_ctx, arrival_id)["notification"] == "pending"
    _outcome(kiosk_ctx, "sent", arrival_id, about="arrival.escalated")  # a message to the fallback: not the officer
    _outcome(kiosk_ctx, "sent", arrival_id, office_id="otherby")  # another office's event never reaches it
    assert _view(kiosk_ctx, arrival_id)["notification"] == "pending"
    _outcome(kiosk_ctx, "sent", arrival_id)
    view = _view(kiosk_ctx, arrival_id)
    assert view["notification"] == "sent" and view["final"]
    assert view["told"] == "Anna Lind has been told that you are here."
    assert view["advice"] == "Please take a seat: The sofa by the window. You will be fetched there."
    _outcome(kiosk_ctx, "failed", arrival_id)  # a second rule's message failing does not undo the first
    _outcome(kiosk_ctx, "sent", arrival_id)  # delivered twice: same state
    assert _view(kiosk_ctx, arrival_id)["notification"] == "sent"


def test_a_failed_message_escalates_on_the_next_check(kiosk_ctx: AppContext) -> None:
    office = kiosk_ctx.deployment.office("testby")
    arrival_id = _arrive(kiosk_ctx)
    _outcome(kiosk_ctx, "failed", arrival_id)
    assert _view(kiosk_ctx, arrival_id)["notification"] == "failed"
    with kiosk_ctx.db.session() as session:
        assert arrivals.escalate_due(session, office, _links(kiosk_ctx), utcnow()) == 1
    view = _view(kiosk_ctx, arrival_id)
    assert view["escalated"] and view["told"] == "We could not reach Anna Lind."
    assert view["advice"] == ("Please ask at the information desk. The staff there know that you are waiting.")
    [escalation] = _escalations(kiosk_ctx)
    assert escalation["reason"] == "failed" and escalation["officer_id"] == "a-lind"
    assert escalation["acknowledge_url"].startswith("http")


def test_an_arrival_nobody_was_told_of_escalates_once_after_the_office_time(kiosk_ctx: AppContext) -> None:
    office = kiosk_ctx.deployment.office("testby")
    arrival_id = _arrive(kiosk_ctx)
    _arrive(kiosk_ctx, key="k-arrive-02")  # told in time: never escalates
    with kiosk_ctx.db.session() as session:
        told = session.scalars(select(Arrival.id).where(Arrival.id != arrival_id)).one()
    _outcome(kiosk_ctx, "sent", told)
    after = timedelta(seconds=120)  # the default escalate_after_seconds
    with kiosk_ctx.db.session() as session:
        assert arrivals.escalate_due(session, office, _links(kiosk_ctx), utcnow() + after - timedelta(seconds=5)) == 0
    assert "within 2 minutes" in _view(kiosk_ctx, arrival_id)["advice"]
    for _ in range(2):  # a second check (or process) finds nothing more to do
        with kiosk_ctx.db.session() as session:
            arrivals.escalate_due(session, office, _links(kiosk_ctx), utcnow() + after + timedelta(seconds=1))
    assert [e["arrival_id"] for e in _escalations(kiosk_ctx)] == [arrival_id]
    assert _escalations(kiosk_ctx)[0]["reason"] == "late"
    # the message went out late after all: the visitor hears it, and guides still see who waited
    _outcome(kiosk_ctx, "sent", arrival_id)
    view = _view(kiosk_ctx, arrival_id)
    assert view["notification"] == "sent" and view["escalated"] and not view["final"]
    assert view["told"] == "Anna Lind has been told that you are here."


def test_escalation_takes_each_arrival_once_across_processes(kiosk_ctx: AppContext) -> None:
    """Two checks at once (two processes): the second skips the arrival the first holds, then finds it done."""
    office = kiosk_ctx.deployment.office("testby")
    _arrive(kiosk_ctx)
    later = utcnow() + timedelta(minutes=5)
    if kiosk_ctx.db.is_postgres:
        with kiosk_ctx.db.session() as first:
            assert arrivals.escalate_due(first, office, _links(kiosk_ctx), later) == 1
            with kiosk_ctx.db.session() as second:  # the first has not committed: its row is locked and skipped
                assert arrivals.escalate_due(second, office, _links(kiosk_ctx), later) == 0
    else:
        with kiosk_ctx.db.session() as first:
            assert arrivals.escalate_due(first, office, _links(kiosk_ctx), later) == 1
    with kiosk_ctx.db.session() as third:
        assert arrivals.escalate_due(third, office, _links(kiosk_ctx), later) == 0
    assert len(_escalations(kiosk_ctx)) == 1


def test_guides_see_who_waits_until_the_officer_answers(kiosk_ctx: AppContext) -> None:
    office = kiosk_ctx.deployment.office("testby")
    waiting = _arrive(kiosk_ctx, officer_id="b-berg")  # nobody can tell Bo Berg: escalated at once
    _arrive(kiosk_ctx, key="k-arrive-02")  # pending, not escalated: not on the console
    with kiosk_ctx.db.session() as session:
        [[alert]] = kiosk_ctx.hooks(office).mbk_staff_alerts(office=office, session=session, language="en")
    assert alert.text == "Amina is waiting for Bo Berg, who has not been reached." and alert.id.endswith(waiting)
    other = kiosk_ctx.deployment.office("otherby")
    with kiosk_ctx.db.session() as session:
        assert kiosk_ctx.hooks(other).mbk_staff_alerts(office=other, session=session, language="en") == [[]]
    with kiosk_ctx.db.session() as session:
        token = _links(kiosk_ctx).url("testby", waiting).rsplit("/", 1)[1]
        assert arrivals.acknowledge(session, office, _links(kiosk_ctx), token) == "done"
    with kiosk_ctx.db.session() as session:
        assert kiosk_ctx.hooks(office).mbk_staff_alerts(office=office, session=session, language="en") == [[]]


def test_the_state_through_the_api_for_the_kiosk_and_staff_of_that_office(kiosk_client: TestClient,
                                                                          kiosk_ctx: AppContext) -> None:
    headers = device_header(kiosk_ctx, "testby", "kiosk")
    body = {"language": "sv", "idempotency_key": "screen-api-01", "officer_id": "b-berg", "first_name": "Eva"}
    posted = kiosk_client.post(f"{API}/arrivals", json=body, headers=headers)
    assert posted.status_code == 201
    answer = posted.json()
    assert answer["notification"] == "none" and answer["escalated"]
    got = kiosk_client.get(f"{API}/arrivals/{answer['id']}?lang=en", headers=headers)
    assert got.status_code == 200 and got.json()["notification"] == "none"
    assert got.json()["told"] == "We could not reach Bo Berg."
    assert kiosk_client.get(f"{API}/arrivals/{answer['id']}").status_code == 401
    other = device_header(kiosk_ctx, "otherby", "kiosk")
    assert kiosk_client.get(f"{API}/arrivals/{answer['id']}", headers=other).status_code == 403
    # the other office's own endpoint does not find this office's arrival
    missing = kiosk_client.get(f"/api/v1/offices/otherby/kiosk/arrivals/{answer['id']}", headers=other)
    assert missing.status_code == 404 and missing.json()["error"] == "unknown_arrival"


def _token(ctx: AppContext, arrival_id: str, office_id: str = "testby") -> str:
    return _links(ctx).url(office_id, arrival_id).rsplit("/", 1)[1]


def test_the_i_am_coming_link_works_once_and_reveals_nothing(kiosk_client: TestClient, kiosk_ctx: AppContext) -> None:
    arrival_id = _arrive(kiosk_ctx, first_name="Secretname")
    path = f"/testby/kiosk/coming/{_token(kiosk_ctx, arrival_id)}"
    opened = kiosk_client.get(path, headers=HTML)  # a mail scanner opening the link changes nothing
    assert opened.status_code == 200 and "I am coming" in opened.text
    assert "Secretname" not in opened.text and "Anna" not in opened.text
    assert _view(kiosk_ctx, arrival_id)["notification"] == "pending"
    csrf = opened.text.split('name="csrf_token" value="')[1].split('"')[0]
    assert kiosk_client.post(path, data={"csrf_token": "forged"}, headers=HTML).status_code == 403
    done = kiosk_client.post(path, data={"csrf_token": csrf}, headers=HTML)
    assert done.status_code == 200 and "on the way" in done.text and "Secretname" not in done.text
    view = _view(kiosk_ctx, arrival_id)
    assert view["notification"] == "acknowledged" and view["final"]
    assert view["told"] == "Anna Lind is on the way to you."
    again = kiosk_client.post(path, data={"csrf_token": csrf}, headers=HTML)
    assert again.status_code == 409 and "already been used" in again.text and "Secretname" not in again.text
    assert kiosk_client.get(path, headers=HTML).status_code == 409
    # a message arriving late never takes the answer back
    _outcome(kiosk_ctx, "sent", arrival_id)
    assert _view(kiosk_ctx, arrival_id)["notification"] == "acknowledged"


def test_a_forged_expired_or_other_office_link_does_nothing(kiosk_client: TestClient, kiosk_ctx: AppContext,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    arrival_id = _arrive(kiosk_ctx)
    token = _token(kiosk_ctx, arrival_id)
    forged = AcknowledgeLinks("another-secret-0123456789", "http://x").url("testby", arrival_id).rsplit("/", 1)[1]
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 5 * 3600)
    expired = _token(kiosk_ctx, arrival_id)  # signed five hours ago: links last four hours by default
    monkeypatch.undo()
    otherby = _arrive(kiosk_ctx, office_id="otherby", key="k-other-001")
    for path in (f"/testby/kiosk/coming/{forged}", f"/testby/kiosk/coming/{expired}",
                 f"/testby/kiosk/coming/{_token(kiosk_ctx, otherby, 'otherby')}",
                 f"/otherby/kiosk/coming/{token}", "/testby/kiosk/coming/nonsense"):
        page = kiosk_client.get(path, headers=HTML)
        assert page.status_code == 404 and "not valid any more" in page.text, path
        csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
        assert kiosk_client.post(path, data={"csrf_token": csrf}, headers=HTML).status_code == 404, path
    assert _view(kiosk_ctx, arrival_id)["notification"] == "pending"
    assert _view(kiosk_ctx, otherby, "otherby")["notification"] == "none"
