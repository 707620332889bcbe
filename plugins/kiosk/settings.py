"""Per-office settings of the kiosk plugin."""

from core.config import StrictModel


class KioskSettings(StrictModel):
    pass
