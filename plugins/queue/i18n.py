"""The queue's translations (its own catalogs under locale/)."""

from __future__ import annotations

from pathlib import Path

from core.i18n import N_, Translator

translations = Translator([Path(__file__).resolve().parent / "locale"])

# What came of a visit, as guides and managers read it (msgids, translated where shown).
OUTCOME_LABELS = {"helped": N_("Helped"), "helped_self_service": N_("Did it themselves with guidance"),
                  "referred": N_("Referred"), "no_errand": N_("No errand")}
