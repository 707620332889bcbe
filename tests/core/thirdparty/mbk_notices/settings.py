"""What an office may set in its [plugins.notices] section."""

from pydantic import Field

from core.config import Localized, StrictModel


class NoticesSettings(StrictModel):
    heading: Localized = Localized(sv="Anslagstavla", en="Notice board")
    max_notices: int = Field(default=5, ge=1, le=20)
