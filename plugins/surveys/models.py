"""Tables of the surveys plugin. Anonymous by design: see README.md.

A response carries no ticket, device, address or time of day, and its id is random (not a sequence), so
neither its id nor its position in the table says when it was given or by whom. On SQLite the tables are
WITHOUT ROWID for the same reason: a rowid would be an insertion order.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base


def random_id() -> str:
    return uuid.uuid4().hex


class SurveyResponse(Base):
    __tablename__ = "surveys_response"
    __table_args__ = (
        # The report filters by office, survey and date range, then groups by a dimension.
        Index("ix_surveys_response_office_survey_day", "office_id", "survey_id", "day"),
        {"sqlite_with_rowid": False},
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    office_id: Mapped[str] = mapped_column(String(64))
    survey_id: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    day: Mapped[date] = mapped_column(Date)
    # The service or errand category of the visit, if the office asks for it.
    context: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Self-described: woman, man, other, unstated; None when the office does not ask or it was skipped.
    gender: Mapped[str | None] = mapped_column(String(16), nullable=True)

    def answer(self, question_id: str, value: str) -> SurveyAnswer:
        return SurveyAnswer(response_id=self.id, question_id=question_id, value=value, office_id=self.office_id,
                            survey_id=self.survey_id, day=self.day, language=self.language, context=self.context,
                            gender=self.gender)


class SurveyAnswer(Base):
    """One answer. It repeats its response's office, survey, day, language, context and gender, so that the
    report is one grouped range scan of one covering index, with no join (see bench/surveys.py)."""

    __tablename__ = "surveys_answer"
    __table_args__ = (
        Index("ix_surveys_answer_report", "office_id", "survey_id", "question_id", "day", "value", "gender",
              "language", "context"),
        {"sqlite_with_rowid": False},
    )

    response_id: Mapped[str] = mapped_column(ForeignKey("surveys_response.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    office_id: Mapped[str] = mapped_column(String(64))
    survey_id: Mapped[str] = mapped_column(String(40))
    day: Mapped[date] = mapped_column(Date)
    language: Mapped[str] = mapped_column(String(8))
    context: Mapped[str | None] = mapped_column(String(40), nullable=True)
    gender: Mapped[str | None] = mapped_column(String(16), nullable=True)


class SubmissionToken(Base):
    """Idempotency: one row per completed tablet session, so a repeated submit records nothing twice.

    It names no response: the token is random per session of answers and says only that it was used.
    """

    __tablename__ = "surveys_submission_token"
    __table_args__ = ({"sqlite_with_rowid": False},)

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    office_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date, index=True)
