"""Credentials this process has checked in the last few seconds, so that a kiosk's or a guide's every request need
not read its device row or its user and roles (on the hot paths of ticket issue and call-next): device tokens,
enrolled browsers' device cookies, and staff API tokens.

An entry lasts ``DEVICE_CACHE_SECONDS``. A device's is used only while its last sighting needs no new write
(core.devices.seen), so a device coming back online is still noticed at once; a staff token's only until the token
expires. A revocation made in this process takes effect here at once: the device's entries (for a change to any
staff user or role: every staff token's) are dropped when it is made and again when it commits, and a lookup that
began before that commit is not kept. One made in another process takes effect here within
``DEVICE_CACHE_SECONDS`` (docs/deploying.md).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

DEVICE_CACHE_SECONDS = 5.0
MAX_ENTRIES = 10_000  # more devices than that in one process: start over rather than grow

clock: Callable[[], float] = time.monotonic


@dataclass(frozen=True)
class _Known:
    principal: Any  # core.auth.Principal (this module sits below core.auth)
    device_id: int | None  # None: a staff token
    last_seen_at: datetime | None  # a device's
    expires_at: datetime | None  # a staff token's
    until: float


_known: dict[str, _Known] = {}
_lock = threading.Lock()
_generation = 0  # moves on every revocation made or committed in this process


def generation() -> int:
    """Take this before reading a device, and hand it to ``remember``."""
    return _generation


def lookup(credential_hash: str, now: datetime, resolution: timedelta) -> Any:
    """The principal of a token looked up here less than ``DEVICE_CACHE_SECONDS`` ago whose last sighting is
    within ``resolution`` of ``now``; None: read the device (and record the sighting)."""
    known = _current(credential_hash)
    if known is None or known.last_seen_at is None or now - known.last_seen_at > resolution:
        return None
    return known.principal


def lookup_token(token_hash: str, now: datetime) -> Any:
    """The principal of a staff token checked here less than ``DEVICE_CACHE_SECONDS`` ago that is still valid at
    ``now``; None: check it (and read its user)."""
    known = _current(token_hash)
    if known is None or known.expires_at is None or now >= known.expires_at:
        return None
    return known.principal


def _current(credential_hash: str) -> _Known | None:
    known = _known.get(credential_hash)
    return known if known is not None and known.until > clock() else None


def remember(credential_hash: str, principal: Any, device_id: int, last_seen_at: datetime | None,
             since: int) -> None:
    """Keep a device's lookup begun at generation ``since``, unless a revocation came in the meantime."""
    _keep(credential_hash, since, principal, device_id=device_id, last_seen_at=last_seen_at)


def remember_token(token_hash: str, principal: Any, expires_at: datetime, since: int) -> None:
    """Keep a staff token's check begun at generation ``since``, unless a staff change came in the meantime."""
    _keep(token_hash, since, principal, expires_at=expires_at)


def _keep(credential_hash: str, since: int, principal: Any, device_id: int | None = None,
          last_seen_at: datetime | None = None, expires_at: datetime | None = None) -> None:
    with _lock:
        if since != _generation:
            return
        if len(_known) >= MAX_ENTRIES:
            _known.clear()
        _known[credential_hash] = _Known(principal, device_id, last_seen_at, expires_at,
                                         clock() + DEVICE_CACHE_SECONDS)


def forget(session: Session, device_id: int) -> None:
    """A device is being revoked in ``session``: drop it now, and again once the revocation commits."""
    _drop_now_and_on_commit(session, lambda known: known.device_id == device_id)


def forget_all() -> None:
    """Drop every entry: for a process that moves to another database (a test's own), where the same credential
    (a device cookie is the signed device id) may name another device."""
    _drop(lambda _known: True)


def forget_tokens(session: Session) -> None:
    """A staff user or role is changing in ``session`` (disabled, new password, roles): drop every staff token now,
    and again once the change commits."""
    _drop_now_and_on_commit(session, lambda known: known.device_id is None)


def _drop_now_and_on_commit(session: Session, dropped: Callable[[_Known], bool]) -> None:
    _drop(dropped)
    event.listen(session, "after_commit", lambda _session: _drop(dropped), once=True)


def _drop(dropped: Callable[[_Known], bool]) -> None:
    global _generation
    with _lock:
        _generation += 1
        for credential_hash in [key for key, known in _known.items() if dropped(known)]:
            del _known[credential_hash]
