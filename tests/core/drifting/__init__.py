"""A plugin whose model has a column its migration lacks (``colour``): what `mbk check` and `mbk serve` must
catch before the first request that reads the table fails."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, OfficeScoped
from core.plugins import Plugin, hookimpl


class DriftingItem(OfficeScoped, Base):
    __tablename__ = "drifting_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    colour: Mapped[str] = mapped_column(String(20))  # added to the model; no migration adds it


@hookimpl
def mbk_register() -> Plugin:
    return Plugin(name="drifting", version="0.1.0", migrations=Path(__file__).resolve().parent / "migrations")
