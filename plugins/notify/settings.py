"""Per-office settings of the notify plugin."""

from core.config import StrictModel


class NotifySettings(StrictModel):
    pass
