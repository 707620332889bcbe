"""Tables of the plugin: on core's Base, named notices_*, one office per row."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, OfficeScoped, UTCDateTime, utcnow


class Notice(OfficeScoped, Base):
    __tablename__ = "notices_notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(500))
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
