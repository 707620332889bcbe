"""Per-office settings of the surveys plugin."""

from core.config import StrictModel


class SurveysSettings(StrictModel):
    pass
