"""Recording responses from the tablet: validation, idempotency, the event, and anonymity."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

import sqlalchemy as sa
from fastapi.testclient import TestClient

from core.events import OutboxEvent
from core.web.app import AppContext, create_app
from plugins.surveys.models import SubmissionToken, SurveyAnswer, SurveyResponse
from tests.plugins.surveys.helpers import enrolment_path
from tests.support import PASSWORD, bearer, device_header

API = "/api/v1/offices/{office}/surveys/exit/responses"


def answer(client: TestClient, headers: dict[str, str], office: str = "north", **body: object):  # type: ignore[no-untyped-def]
    payload = {"token": uuid.uuid4().hex, "language": "sv", "answers": {"learned": "yes"}, **body}
    return client.post(API.format(office=office), json=payload, headers=headers)


def test_tablet_records_a_response_and_publishes_survey_completed(survey_ctx: AppContext) -> None:
    with TestClient(create_app(survey_ctx)) as client:
        tablet = device_header(survey_ctx, "north", "tablet")
        response = answer(client, tablet, language="ar", gender="woman", context="housing",
                          answers={"learned": "yes", "self_reliant": "no", "welcome": "4", "comment": "Bra"})
        assert response.status_code == 201, response.text
        assert response.json() == {"recorded": True}
    with survey_ctx.db.session() as session:
        row = session.scalars(sa.select(SurveyResponse)).one()
        assert (row.office_id, row.survey_id, row.language, row.gender, row.context) == (
            "north", "exit", "ar", "woman", "housing")
        assert isinstance(row.day, date)
        answers = {a.question_id: a.value for a in session.scalars(sa.select(SurveyAnswer))}
        assert answers == {"learned": "yes", "self_reliant": "no", "welcome": "4", "comment": "Bra"}
        events = session.scalars(sa.select(OutboxEvent).where(OutboxEvent.type == "survey.completed")).all()
        assert [(e.office_id, e.payload) for e in events] == [("north", {"survey": "exit", "language": "ar"})]


def test_a_double_tap_never_records_twice(survey_ctx: AppContext) -> None:
    with TestClient(create_app(survey_ctx)) as client:
        tablet = device_header(survey_ctx, "north", "tablet")
        token = uuid.uuid4().hex
        first = answer(client, tablet, token=token)
        second = answer(client, tablet, token=token, answers={"learned": "no"})
        assert first.status_code == 201
        assert second.status_code == 200 and second.json()["recorded"] is False
    with survey_ctx.db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 1
        assert session.scalar(sa.select(SurveyAnswer.value)) == "yes"
        assert session.scalar(sa.select(sa.func.count()).select_from(OutboxEvent)) == 1


def test_bad_answers_are_refused_naming_the_field(survey_ctx: AppContext) -> None:
    with TestClient(create_app(survey_ctx)) as client:
        tablet = device_header(survey_ctx, "north", "tablet")
        cases = [
            ({"answers": {"learned": "maybe"}}, "answers.learned: 'maybe' is not an answer"),
            ({"answers": {"shoe_size": "42"}}, "answers.shoe_size: no such question"),
            ({"answers": {"welcome": "6"}}, "answers.welcome"),
            ({"answers": {}}, "answers: at least one answer"),
            ({"gender": "robot"}, "gender: 'robot' is not one of"),
            ({"context": "parking"}, "context: unknown category 'parking'"),
            ({"language": "fi"}, "language: 'fi' is not a language of this office"),
            ({"token": "short"}, "token"),
        ]
        for body, expected in cases:
            response = answer(client, tablet, **body)
            assert response.status_code == 422, body
            assert expected in response.json()["detail"], (body, response.json())
        # free text is off at "south": a comment is refused there
        south = device_header(survey_ctx, "south", "tablet")
        refused = answer(client, south, office="south", answers={"learned": "yes", "comment": "x"})
        assert refused.status_code == 422 and "answers.comment" in refused.json()["detail"]
        assert client.post("/api/v1/offices/north/surveys/nope/responses", json={}, headers=tablet).status_code == 422
        missing = client.post("/api/v1/offices/north/surveys/nope/responses", headers=tablet,
                              json={"token": uuid.uuid4().hex, "language": "sv", "answers": {"learned": "yes"}})
        assert missing.status_code == 404 and "nope" in missing.json()["detail"]
    with survey_ctx.db.session() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(SurveyResponse)) == 0


def test_only_a_tablet_or_staff_of_that_office_may_record(survey_ctx: AppContext,
                                                          make_user: Callable[..., str]) -> None:
    with TestClient(create_app(survey_ctx)) as client:
        assert answer(client, {}).status_code == 401
        assert answer(client, device_header(survey_ctx, "north", "kiosk")).status_code == 403
        assert answer(client, device_header(survey_ctx, "south", "tablet")).status_code == 403
        make_user("guide-north", office="north", role="guide")
        make_user("viewer-north", office="north", role="viewer")
        assert answer(client, bearer(client, "guide-north")).status_code == 201
        assert answer(client, bearer(client, "viewer-north")).status_code == 403


def test_tablet_through_its_cookie_needs_the_csrf_header(survey_ctx: AppContext) -> None:
    with TestClient(create_app(survey_ctx)) as client:
        page = client.get(enrolment_path(survey_ctx, "north"), headers={"accept": "text/html"})
        assert page.status_code == 200
        assert str(page.url).endswith("/north/surveys/exit/tablet")
        csrf = page.text.split('name="csrf-token" content="')[1].split('"')[0]
        assert answer(client, {}).status_code == 403
        assert answer(client, {"X-CSRF-Token": csrf}).status_code == 201


def test_no_response_row_can_be_linked_to_a_ticket_or_device(survey_ctx: AppContext) -> None:
    """Inspect the tables: no column for a ticket, device, address or time, and no stored value that
    repeats the device's id, name or token, the client's address, or an insertion order."""
    with TestClient(create_app(survey_ctx)) as client:
        tablet = device_header(survey_ctx, "north", "tablet", name="Tablet by the door")
        device_token = tablet["Authorization"].split()[1]
        for _ in range(12):
            assert answer(client, tablet, gender="man", context="housing").status_code == 201
    inspector = sa.inspect(survey_ctx.db.engine)
    forbidden = ("ticket", "device", "ip", "address", "host", "time", "created", "user", "agent", "session", "token")
    for table in ("surveys_response", "surveys_answer"):
        columns = inspector.get_columns(table)
        for column in columns:
            assert not any(word in column["name"].lower() for word in forbidden), (table, column["name"])
            assert not isinstance(column["type"], sa.DateTime), (table, column["name"])
        assert not [fk for fk in inspector.get_foreign_keys(table) if fk["referred_table"] != "surveys_response"]
    assert {c["name"] for c in inspector.get_columns("surveys_response")} == {
        "id", "office_id", "survey_id", "language", "day", "context", "gender"}
    # The idempotency tokens say nothing about which response they belong to.
    assert {c["name"] for c in inspector.get_columns("surveys_submission_token")} == {"token", "office_id", "day"}
    with survey_ctx.db.session() as session:
        device_id = session.execute(sa.text("SELECT id FROM core_device")).scalar_one()
        responses = session.execute(sa.select(SurveyResponse.__table__)).all()
        answers = session.execute(sa.select(SurveyAnswer.__table__)).all()
        tokens = set(session.scalars(sa.select(SubmissionToken.token)))
    stored = [str(v) for row in [*responses, *answers] for v in row]
    for secret in (device_token, "Tablet by the door", "testclient", "127.0.0.1"):
        assert not any(secret in value for value in stored), secret
    assert str(device_id) not in {str(v) for row in responses for v in row[1:]}
    assert not tokens & set(stored)
    # Ids are random, not a sequence: neither they nor their order tell when a response was given.
    ids = [row.id for row in responses]
    assert len(set(ids)) == 12 and all(len(i) == 32 for i in ids)
    assert not all(i.isdigit() for i in ids)
    assert PASSWORD not in stored
