"""No request makes a server error. Schemathesis generates requests from the app's own OpenAPI document, valid
ones and invalid ones (wrong types, out-of-range numbers and dates, NUL bytes, odd headers), for every operation
of the in-process app, once as a platform admin and once anonymously, with a real office, survey, indicator and
ticket in the paths so that requests get past the 404s.

Schemathesis's Python API drives Hypothesis directly (its pytest plugin does not run on pytest 9). The budget is
small and the examples are derandomized, so the run is quick and repeatable; a failure lists every operation with
a 5xx and the request that caused it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from core import auth, devices
from core.web.app import AppContext, create_app
from plugins.appointments import service as appointments
from tests.support import PASSWORD, bearer, device_header

EXAMPLES_PER_OPERATION_AND_MODE = 5
STREAM_SECONDS = 1
BUDGET = settings(max_examples=EXAMPLES_PER_OPERATION_AND_MODE, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))


@pytest.fixture(params=["platform-admin", "anonymous"])
def identity(request: pytest.FixtureRequest, client: TestClient, make_user: Callable[..., str]) -> dict[str, str]:
    if request.param == "anonymous":
        return {}
    return bearer(client, make_user("fuzz-root", None, None, platform_admin=True))


def real_ids(ctx: AppContext, client: TestClient) -> dict[str, str]:
    ticket = client.post("/api/v1/offices/skarholmen/queue/tickets", json={"service": "guidance"},
                         headers=device_header(ctx, "skarholmen", "kiosk"))
    office = ctx.deployment.office("skarholmen")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    with ctx.db.session() as session:
        auth.create_user(session, "fuzz-guide", PASSWORD, office_id="skarholmen", role="guide")
        board, _token = devices.enrol_device(session, "skarholmen", "display", "Fuzzed board")
        meeting = appointments.create(session, office, appointments.NewAppointment(
            start=start, end=start + timedelta(minutes=30), officer_id="a-lind"))
    return {"office": "skarholmen", "survey_id": "exit", "indicator_id": "learned", "ticket_id": ticket.json()["id"],
            "counter_id": "guide-1", "language": "sv", "name": "digit-1", "username": "fuzz-guide",
            "device_id": board.id, "appointment_id": meeting.id}


def fuzz(operation: Any, mode: GenerationMode, fixed: dict[str, str], headers: dict[str, str],
         server_errors: list[str]) -> None:
    """Send the budget's examples for one operation and mode; note every 5xx."""
    timeout = STREAM_SECONDS if operation.path.endswith("/events") else None

    @BUDGET
    @given(case=operation.as_strategy(mode, path_parameters=fixed))
    def send(case: Any) -> None:
        response = case.call(headers=headers, timeout=timeout)
        if response.status_code >= 500:
            server_errors.append(f"{response.status_code} {case.method} {case.formatted_path} "
                                 f"query={case.query} body={case.body!r:.200}: {response.text[:200]}")

    try:
        send()
    except Unsatisfiable:  # no input that could be made invalid (an operation without parameters)
        assert mode is GenerationMode.NEGATIVE


def test_no_request_makes_a_server_error(ctx: AppContext, client: TestClient, identity: dict[str, str]) -> None:
    ids = real_ids(ctx, client)
    # a live stream never ends: read its first event, or what it sent within a second
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(ctx),
                                            config=SchemathesisConfig.from_dict({"max-stream-events": 1}))
    server_errors: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        fixed = {name: value for name, value in ids.items() if f"{{{name}}}" in operation.path}
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            fuzz(operation, mode, fixed, identity, server_errors)
    assert operations >= 30  # every operation of core and the five plugins was tried
    assert not server_errors, "\n".join(server_errors)


def test_every_path_parameter_gets_a_real_value_or_is_meant_to_be_random(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    placeholders = {name for path in paths for name in re.findall(r"{(\w+)}", path)}
    # every path parameter is either given a real value above or is one whose random values are the point
    assert placeholders <= {"office", "survey_id", "indicator_id", "ticket_id", "channel", "message_id", "code",
                            "arrival_id", "counter_id", "language", "name", "username", "device_id", "appointment_id"}
