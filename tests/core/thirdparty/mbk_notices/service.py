"""Domain logic, no HTTP: every query filters by office."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from mbk_notices.models import Notice


def post_notice(session: Session, office_id: str, text: str) -> Notice:
    notice = Notice(office_id=office_id, text=text)
    session.add(notice)
    session.flush()
    return notice


def latest_notices(session: Session, office_id: str, limit: int) -> list[Notice]:
    query = select(Notice).where(Notice.office_id == office_id).order_by(Notice.id.desc()).limit(limit)
    return list(session.scalars(query))
