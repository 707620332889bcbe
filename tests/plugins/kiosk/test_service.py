"""Kiosk domain logic on SQLite and PostgreSQL: arrivals, tickets, idempotency, usage counts, retention."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import OfficeConfig
from core.db import utcnow
from core.events import OutboxEvent
from core.problems import Problem
from core.web.app import AppContext
from core.web.errors import status_of
from plugins.kiosk import arrivals, service
from plugins.kiosk.arrivals import AcknowledgeLinks
from plugins.kiosk.models import Arrival, IdempotencyKey, UsageCount
from tests.plugins.kiosk import fakequeue


def _arrive(ctx: AppContext, session: Session, office: OfficeConfig, **kwargs: Any) -> Arrival:
    return arrivals.register_arrival(session, office, reach=ctx.hooks(office).mbk_message_reach,
                                     links=AcknowledgeLinks(ctx.secret_key, "http://kiosk.test"), **kwargs).arrival


def _arrival_events(ctx: AppContext) -> list[OutboxEvent]:
    with ctx.db.session() as session:
        return list(session.scalars(select(OutboxEvent).where(OutboxEvent.type == "visitor.arrived")))


def test_arrival_publishes_the_agreed_event_once_per_screen_key(kiosk_ctx: AppContext) -> None:
    office = kiosk_ctx.deployment.office("testby")
    for _ in range(3):  # a double (triple) tap on "confirm"
        with kiosk_ctx.db.session() as session:
            done = _arrive(kiosk_ctx, session, office, language="ar", key="screen-key-1", officer_id="a-lind",
                           first_name="  Amina ")
            view = arrivals.arrival_view(office, done, "en")
    events = _arrival_events(kiosk_ctx)
    assert len(events) == 1
    assert events[0].office_id == "testby"
    payload = dict(events[0].payload)
    link = payload.pop("acknowledge_url")
    assert link.startswith("http://kiosk.test/testby/kiosk/coming/") and "Amina" not in link
    assert payload == {"arrival_id": view["id"], "officer_id": "a-lind", "unit_id": "social",
                       "first_name": "Amina", "language": "ar", "appointment_id": None}
    assert view["officer"] == "Anna Lind" and view["notification"] == "pending" and not view["escalated"]
    assert view["told"] == "Anna Lind is being told that you are here." and "Amina" not in view["told"]
    with kiosk_ctx.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Arrival)) == 1
        # the remembered answer for a repeated tap holds no name
        stored = session.scalar(select(IdempotencyKey.result))
        assert "Amina" not in str(stored)


def test_arrival_for_a_unit_nobody_can_tell_escalates_at_once(kiosk_ctx: AppContext) -> None:
    office = kiosk_ctx.deployment.office("testby")
    with kiosk_ctx.db.session() as session:
        done = _arrive(kiosk_ctx, session, office, language="en", key="k-unit-0001", unit_id="social")
        view = arrivals.arrival_view(office, done, "en")
    assert view["officer"] is None and view["unit"] == "Social services"
    assert view["notification"] == "none" and view["escalated"]
    assert view["told"] == "We could not reach Social services."
    assert "information desk" in view["advice"]
    payload = _arrival_events(kiosk_ctx)[0].payload
    assert payload["officer_id"] is None and payload["unit_id"] == "social" and payload["first_name"] is None
    with kiosk_ctx.db.session() as session:
        escalated = session.scalars(select(OutboxEvent).where(OutboxEvent.type == "arrival.escalated")).one()
    assert escalated.payload["reason"] == "none" and escalated.payload["arrival_id"] == view["id"]


@pytest.mark.parametrize(("seconds", "language", "said"), [
    (120, "en", "If nobody has come within 2 minutes, ask"),
    (60, "en", "If nobody has come within 1 minute, ask"),
    (60, "sv", "Om ingen har kommit inom 1 minut, fråga"),
    (120, "ar", "إذا لم يأتِ أحد خلال دقيقتين،"),  # Arabic's dual, not "2 minutes"
])
def test_the_wait_before_asking_at_the_desk_is_said_with_the_plural_the_language_needs(
        kiosk_ctx: AppContext, monkeypatch: pytest.MonkeyPatch, seconds: int, language: str, said: str) -> None:
    office = kiosk_ctx.deployment.office("testby")
    timed = arrivals.settings(office).model_copy(update={"escalate_after_seconds": seconds})
    monkeypatch.setattr(arrivals, "settings", lambda _office: timed)
    with kiosk_ctx.db.session() as session:
        done = _arrive(kiosk_ctx, session, office, language=language, key="k-minutes-01", officer_id="a-lind")
        view = arrivals.arrival_view(office, done, language)
    assert said in view["advice"]


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"officer_id": "nobody"}, "unknown_officer"),
    ({"unit_id": "nowhere"}, "unknown_unit"),
    ({}, "invalid_request"),
    ({"officer_id": "a-lind", "first_name": "<script>"}, "invalid_first_name"),
])
def test_bad_arrivals_are_refused_and_leave_nothing(kiosk_ctx: AppContext, kwargs: dict, code: str) -> None:
    office = kiosk_ctx.deployment.office("testby")
    with pytest.raises(Problem) as refused, kiosk_ctx.db.session() as session:
        _arrive(kiosk_ctx, session, office, language="sv", key="k-bad-00001", **kwargs)
    assert refused.value.code == code
    assert _arrival_events(kiosk_ctx) == []
    with kiosk_ctx.db.session() as session:  # the key was not used up: the visitor can correct and retry
        assert session.scalar(select(func.count()).select_from(IdempotencyKey)) == 0


def test_talk_to_a_guide_sends_the_answers_in_swedish_once_per_key(kiosk_ctx: AppContext) -> None:
    office = kiosk_ctx.deployment.office("testby")
    issue = kiosk_ctx.hooks(office).mbk_issue_ticket
    for _ in range(2):
        with kiosk_ctx.db.session() as session:
            ticket = service.issue_ticket(session, office, issue, language="ar", key="talk-key-001",
                                          category="financial-assistance",
                                          answers={"need": "urgent", "tried": "called"})
    assert len(fakequeue.requests) == 1
    request = fakequeue.requests[0]
    assert request.category == "financial-assistance" and request.service is None and request.language == "ar"
    assert request.category_title == "Ekonomiskt bistånd"  # the office's first language, for the guide
    assert request.answers == {"Vad gäller det?": "Akut, jag har inga pengar idag",
                               "Vad har du redan gjort?": "Ringt socialtjänsten"}
    assert request.idempotency_key == "kiosk:talk-key-001"
    assert ticket["number"] == "B001" and ticket["position"] == 1
    texts = service.ticket_texts(ticket, "en")
    assert texts == {"position_text": "You are next.", "wait_text": "Estimated wait: about 5 minutes"}


def test_talk_to_a_guide_needs_every_answer(kiosk_ctx: AppContext) -> None:
    office = kiosk_ctx.deployment.office("testby")
    issue = kiosk_ctx.hooks(office).mbk_issue_ticket
    for answers in ({"need": "urgent"}, {"need": "urgent", "tried": "nonsense"},
                    {"need": "urgent", "tried": "called", "extra": "x"}):
        with pytest.raises(Problem) as refused, kiosk_ctx.db.session() as session:
            service.issue_ticket(session, office, issue, language="sv", key="k-answers-1", category="housing",
                                 answers=answers)
        assert status_of(refused.value) == 422
    with pytest.raises(Problem) as unknown, kiosk_ctx.db.session() as session:
        service.issue_ticket(session, office, issue, language="sv", key="k-answers-1", category="astrology",
                             answers={})
    assert status_of(unknown.value) == 404
    assert fakequeue.requests == []


def test_a_refused_ticket_says_why_and_can_be_retried(kiosk_ctx: AppContext) -> None:
    office = kiosk_ctx.deployment.office("testby")
    issue = kiosk_ctx.hooks(office).mbk_issue_ticket
    fakequeue.closed.add("computers")
    with pytest.raises(Problem) as refused, kiosk_ctx.db.session() as session:
        service.issue_ticket(session, office, issue, language="sv", key="k-closed-01", service="computers")
    assert status_of(refused.value) == 409 and "closed" in refused.value.message
    fakequeue.closed.clear()
    with kiosk_ctx.db.session() as session:
        ticket = service.issue_ticket(session, office, issue, language="sv", key="k-closed-01", service="computers")
    assert ticket["service"] == "computers"


def test_a_key_is_not_reused_for_another_action(kiosk_ctx: AppContext) -> None:
    office = kiosk_ctx.deployment.office("testby")
    with kiosk_ctx.db.session() as session:
        _arrive(kiosk_ctx, session, office, language="sv", key="k-shared-01", officer_id="b-berg")
    with pytest.raises(Problem) as refused, kiosk_ctx.db.session() as session:
        service.issue_ticket(session, office, kiosk_ctx.hooks(office).mbk_issue_ticket, language="sv",
                             key="k-shared-01", service="computers")
    assert status_of(refused.value) == 409


def test_keys_belong_to_one_office(kiosk_ctx: AppContext) -> None:
    testby, otherby = kiosk_ctx.deployment.office("testby"), kiosk_ctx.deployment.office("otherby")
    for office in (testby, otherby):
        with kiosk_ctx.db.session() as session:
            _arrive(kiosk_ctx, session, office, language="sv", key="same-key-001", officer_id="a-lind")
    assert sorted(e.office_id for e in _arrival_events(kiosk_ctx)) == ["otherby", "testby"]


def test_usage_is_counted_per_day_language_choice_and_guide(kiosk_ctx: AppContext) -> None:
    office = kiosk_ctx.deployment.office("testby")
    now = utcnow()
    with kiosk_ctx.db.session() as session:
        for _ in range(3):
            service.record_usage(session, office, "ar", "guide-read", "housing", now=now)
        service.record_usage(session, office, "sv", "guide-read", "housing", now=now)
        service.record_usage(session, office, "ar", "meeting", now=now - timedelta(days=1))
        service.record_usage(session, kiosk_ctx.deployment.office("otherby"), "ar", "guide-read", "housing", now=now)
    with kiosk_ctx.db.session() as session:
        rows = service.usage(session, office, (now - timedelta(days=7)).date())
        assert session.scalar(select(func.count()).select_from(UsageCount)) == 4
    today = now.astimezone(office.tz).date()
    assert [(r.day, r.language, r.choice, r.guide, r.count) for r in rows][:2] == [
        (today, "ar", "guide-read", "housing", 3), (today, "sv", "guide-read", "housing", 1)]


def test_purge_deletes_old_arrivals_of_that_office_only(kiosk_ctx: AppContext) -> None:
    testby, otherby = kiosk_ctx.deployment.office("testby"), kiosk_ctx.deployment.office("otherby")
    with kiosk_ctx.db.session() as session:
        _arrive(kiosk_ctx, session, testby, language="sv", key="k-purge-001", officer_id="a-lind",
                                 first_name="Eva")
        _arrive(kiosk_ctx, session, otherby, language="sv", key="k-purge-002", officer_id="a-lind")
    later = utcnow() + timedelta(days=2)
    with kiosk_ctx.db.session() as session:
        assert kiosk_ctx.hooks(testby).mbk_purge(office=testby, session=session, now=later) == [
            {"kiosk_arrivals": 1}]
    with kiosk_ctx.db.session() as session:
        left = list(session.scalars(select(Arrival)))
        assert [a.office_id for a in left] == ["otherby"]
        assert session.scalar(select(func.count()).select_from(IdempotencyKey)
                              .where(IdempotencyKey.office_id == "testby")) == 0


def test_admin_panel_shows_counts_only(kiosk_ctx: AppContext) -> None:
    office = kiosk_ctx.deployment.office("testby")
    with kiosk_ctx.db.session() as session:
        _arrive(kiosk_ctx, session, office, language="ar", key="k-panel-001", officer_id="a-lind",
                                 first_name="Secretname")
        service.record_usage(session, office, "so", "guide-read", "preschool")
        panels = kiosk_ctx.hooks(office).mbk_admin_panels(office=office, session=session, language="en",
                                                          event_label=kiosk_ctx.event_labels("en"))
    panel = panels[0][0]
    assert panel.id == "kiosk-usage"
    html = kiosk_ctx.render_panel(office, panel, "en")  # as core renders it on the dashboard
    assert "Guide read at the kiosk: preschool" in html and "Arrival for a booked meeting" in html
    assert "<th scope=\"col\">ar</th><th scope=\"col\">so</th>" in html
    assert "Secretname" not in html and "Anna" not in html



def test_usage_summary_by_choice_and_by_day() -> None:
    rows = [service.UsageRow(date(2026, 11, 23), "ar", "guide-read", "housing", 3),
            service.UsageRow(date(2026, 11, 24), "sv", "guide-read", "housing", 1),
            service.UsageRow(date(2026, 11, 24), "ar", "ticket:computers", "", 2),
            service.UsageRow(date(2026, 11, 24), "so", "meeting", "", 1)]
    summary = service.summarize(rows, "en")
    assert summary.languages == ["ar", "so", "sv"]
    assert summary.by_choice == [("Guide read at the kiosk: housing", [3, 0, 1], 4),
                                 ("Ticket for the service computers", [2, 0, 0], 2),
                                 ("Start screen choice: meeting", [0, 1, 0], 1)]
    assert summary.by_day == [(date(2026, 11, 24), [2, 1, 1], 4), (date(2026, 11, 23), [3, 0, 0], 3)]
