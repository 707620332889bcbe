"""Device tokens and enrolled browsers' device cookies this process has looked up in the last few seconds, so that a
kiosk's every request need not read its device row (on the ticket issue's hot path).

An entry lasts ``DEVICE_CACHE_SECONDS`` and is used only while the device's last sighting needs no new write
(core.devices.seen), so a device coming back online is still noticed at once. A revocation made in this process
takes effect here at once: the device's entries are dropped when it is made and again when it commits, and a
lookup that began before that commit is not kept. One made in another process takes effect here within
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
    device_id: int
    last_seen_at: datetime | None
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
    known = _known.get(credential_hash)
    if known is None or known.until <= clock() or known.last_seen_at is None or now - known.last_seen_at > resolution:
        return None
    return known.principal


def remember(credential_hash: str, principal: Any, device_id: int, last_seen_at: datetime | None,
             since: int) -> None:
    """Keep a lookup begun at generation ``since``, unless a revocation came in the meantime."""
    with _lock:
        if since != _generation:
            return
        if len(_known) >= MAX_ENTRIES:
            _known.clear()
        _known[credential_hash] = _Known(principal, device_id, last_seen_at, clock() + DEVICE_CACHE_SECONDS)


def forget(session: Session, device_id: int) -> None:
    """A device is being revoked in ``session``: drop it now, and again once the revocation commits."""
    _drop(device_id)
    event.listen(session, "after_commit", lambda _session: _drop(device_id), once=True)


def _drop(device_id: int) -> None:
    global _generation
    with _lock:
        _generation += 1
        for credential_hash in [key for key, known in _known.items() if known.device_id == device_id]:
            del _known[credential_hash]
