"""A device's lookup, by its token or its enrolled browser's cookie, kept for a few seconds per process
(core.device_cache): a revocation made in this process works at once; one made elsewhere within
DEVICE_CACHE_SECONDS; a sighting due for a write is still read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from core import auth, device_cache, devices
from core.db import utcnow
from core.web.app import AppContext
from core.web.deps import DEVICE_COOKIE
from tests.core.test_auth import ctx  # noqa: F401 - the fixture: offices alpha and gamma with the dummy plugin
from tests.support import device_header

KIOSK_ENDPOINT = "/api/v1/offices/alpha/dummy/kiosk"


def device_id(ctx: AppContext) -> int:  # noqa: F811 - named as the fixture
    with ctx.db.session() as session:
        return session.scalars(select(devices.Device.id)).one()


def enrolled_kiosk(ctx: AppContext, client: TestClient, credential: str) -> dict[str, str]:  # noqa: F811
    """A kiosk's request headers: its bearer token, or none when it is an enrolled browser (its device cookie,
    set on the client)."""
    kiosk = device_header(ctx, "alpha", "kiosk", "Entrance 1")
    if credential == "token":
        return kiosk
    with ctx.db.session() as session:
        device = session.get(devices.Device, device_id(ctx))
        client.cookies.set(DEVICE_COOKIE, devices.device_cookie_value(ctx.secret_key, device))
    return {}


@pytest.mark.parametrize("credential", ["token", "cookie"])
def test_a_device_revoked_in_this_process_is_refused_at_once(client: TestClient, ctx: AppContext,  # noqa: F811
                                                             credential: str) -> None:
    kiosk = enrolled_kiosk(ctx, client, credential)
    assert client.get(KIOSK_ENDPOINT, headers=kiosk).status_code == 200  # now remembered
    assert client.get(KIOSK_ENDPOINT, headers=kiosk).status_code == 200
    with ctx.db.session() as session:
        devices.revoke_device(session, device_id(ctx))
    response = client.get(KIOSK_ENDPOINT, headers=kiosk)
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


@pytest.mark.parametrize("credential", ["token", "cookie"])
def test_a_device_revoked_by_another_process_is_refused_within_the_bound(
        client: TestClient, ctx: AppContext, monkeypatch: pytest.MonkeyPatch, credential: str) -> None:  # noqa: F811
    kiosk = enrolled_kiosk(ctx, client, credential)
    assert client.get(KIOSK_ENDPOINT, headers=kiosk).status_code == 200
    with ctx.db.session() as session:  # what another process's revocation leaves here: only the row changed
        session.execute(update(devices.Device).values(revoked_at=utcnow()))
    assert client.get(KIOSK_ENDPOINT, headers=kiosk).status_code == 200  # still remembered
    later = device_cache.clock() + device_cache.DEVICE_CACHE_SECONDS
    monkeypatch.setattr(device_cache, "clock", lambda: later)
    assert client.get(KIOSK_ENDPOINT, headers=kiosk).status_code == 401


def test_a_lookup_that_began_before_a_revocation_is_not_kept(ctx: AppContext) -> None:  # noqa: F811
    token = device_header(ctx, "alpha", "kiosk", "Entrance 1")["Authorization"].removeprefix("Bearer ")
    since = device_cache.generation()
    with ctx.db.session() as session:  # the lookup reads the device...
        device = devices.device_from_token(session, token)
        principal, now = devices.principal_for_device(device), utcnow()
    with ctx.db.session() as session:  # ...the device is revoked...
        devices.revoke_device(session, device.id)
    device_cache.remember(auth.hash_secret(token), principal, device.id, now, since)  # ...and the lookup ends
    assert device_cache.lookup(auth.hash_secret(token), now, timedelta(minutes=5)) is None


def test_a_remembered_device_is_not_read_until_its_sighting_is_due(client: TestClient, ctx: AppContext) -> None:  # noqa: F811
    kiosk = device_header(ctx, "alpha", "kiosk", "Entrance 1")
    assert client.get(KIOSK_ENDPOINT, headers=kiosk).status_code == 200
    long_ago = utcnow() - timedelta(hours=1)
    with ctx.db.session() as session:
        session.execute(update(devices.Device).values(last_seen_at=long_ago))
    assert client.get(KIOSK_ENDPOINT, headers=kiosk).status_code == 200  # from memory: nothing read or written
    with ctx.db.session() as session:
        assert session.scalars(select(devices.Device.last_seen_at)).one() == long_ago
    # once the remembered sighting is older than the resolution, the device is read and its sighting written
    token_hash = auth.hash_secret(kiosk["Authorization"].removeprefix("Bearer "))
    resolution = timedelta(minutes=5)
    assert device_cache.lookup(token_hash, utcnow(), resolution) is not None
    assert device_cache.lookup(token_hash, utcnow() + resolution + timedelta(seconds=1), resolution) is None


def test_forget_all_drops_every_remembered_credential() -> None:
    now = utcnow()
    device_cache.remember("device-credential", "a device", 1, now, device_cache.generation())
    device_cache.remember_token("staff-token", "a guide", now + timedelta(hours=1), device_cache.generation())
    assert device_cache.lookup("device-credential", now, timedelta(minutes=1)) == "a device"
    device_cache.forget_all()
    assert device_cache.lookup("device-credential", now, timedelta(minutes=1)) is None
    assert device_cache.lookup_token("staff-token", now) is None
