"""The queue's translations (its own catalogs under locale/)."""

from __future__ import annotations

from pathlib import Path

from core.i18n import Translator

translations = Translator([Path(__file__).resolve().parent / "locale"])
