"""A staff API token's check, kept for a few seconds per process (core.device_cache): its user and roles are not
read again meanwhile; a change to staff made in this process (disabling, roles, a new password) works at once; one
made elsewhere within DEVICE_CACHE_SECONDS; a token past its lifetime is refused from memory too."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, update
from sqlalchemy.orm import ORMExecuteState

from core import auth, device_cache
from core.db import utcnow
from core.web.app import AppContext
from tests.core.test_auth import ctx  # noqa: F401 - the fixture: offices alpha and gamma with the dummy plugin
from tests.support import bearer

STAFF_ENDPOINT = "/api/v1/offices/alpha/dummy/staff"


@pytest.fixture
def guide(client: TestClient, make_user: Callable[..., str]) -> dict[str, str]:
    headers = bearer(client, make_user("guide-a", "alpha", "guide"))
    assert client.get(STAFF_ENDPOINT, headers=headers).status_code == 200  # now remembered
    return headers


@pytest.fixture
def users_read(ctx: AppContext) -> Iterator[list[str]]:  # noqa: F811
    read: list[str] = []

    def record(state: ORMExecuteState) -> None:
        read.extend(mapper.local_table.name for mapper in state.all_mappers)

    event.listen(ctx.db.sessionmaker, "do_orm_execute", record)
    yield read
    event.remove(ctx.db.sessionmaker, "do_orm_execute", record)


def test_a_remembered_token_reads_no_user(client: TestClient, guide: dict[str, str], users_read: list[str]) -> None:
    assert client.get(STAFF_ENDPOINT, headers=guide).status_code == 200
    assert "core_user" not in users_read


@pytest.mark.parametrize("change", ["disable", "roles", "password"])
def test_a_staff_change_in_this_process_works_at_once(client: TestClient, ctx: AppContext,  # noqa: F811
                                                      guide: dict[str, str], change: str) -> None:
    with ctx.db.session() as session:
        user = auth.find_user(session, "guide-a")
        if change == "disable":
            user.disabled = True
        elif change == "roles":
            user.roles.clear()
        else:
            auth.set_password(session, user, "another long password")
    assert client.get(STAFF_ENDPOINT, headers=guide).status_code == (403 if change == "roles" else 401)


def test_a_user_disabled_by_another_process_is_refused_within_the_bound(
        client: TestClient, ctx: AppContext, guide: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    with ctx.db.session() as session:  # what another process's change leaves here: only the row changed
        session.execute(update(auth.StaffUser).values(disabled=True))
    assert client.get(STAFF_ENDPOINT, headers=guide).status_code == 200  # still remembered
    later = device_cache.clock() + device_cache.DEVICE_CACHE_SECONDS
    monkeypatch.setattr(device_cache, "clock", lambda: later)
    assert client.get(STAFF_ENDPOINT, headers=guide).status_code == 401


def test_a_remembered_token_is_not_used_past_its_lifetime(guide: dict[str, str]) -> None:
    token_hash = auth.hash_secret(guide["Authorization"].removeprefix("Bearer "))
    assert device_cache.lookup_token(token_hash, utcnow()) is not None
    assert device_cache.lookup_token(token_hash, utcnow() + auth.TOKEN_LIFETIME + timedelta(seconds=1)) is None
