"""Per-office settings of the queue plugin."""

from core.config import StrictModel


class QueueSettings(StrictModel):
    pass
