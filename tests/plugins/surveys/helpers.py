"""Helpers shared by the surveys tests and the surveys browser test."""

from __future__ import annotations

from core import devices
from core.web.app import AppContext


def enrolment_path(ctx: AppContext, office: str, kind: str = "tablet", name: str = "Survey tablet") -> str:
    """The one-time enrolment link an IT admin would open on the device (``mbk device add``)."""
    with ctx.db.session() as session:
        device, _token = devices.enrol_device(session, office, kind, name)
        code = devices.new_enrolment_code(device)
    return f"/{office}/enrol?code={code}"
