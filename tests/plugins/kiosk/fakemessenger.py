"""A stand-in messenger for kiosk tests: it says it can reach Anna Lind (a-lind) by e-mail and nobody else."""

from __future__ import annotations

from core.config import OfficeConfig
from core.hookspecs import Addressee
from core.plugins import Plugin, hookimpl

REACHABLE = "a-lind"


@hookimpl
def mbk_register() -> Plugin:
    return Plugin(name="fakemessenger")


@hookimpl
def mbk_message_reach(office: OfficeConfig, event_type: str, addressee: Addressee) -> list[str]:
    return ["email"] if event_type == "visitor.arrived" and addressee.officer_id == REACHABLE else []
