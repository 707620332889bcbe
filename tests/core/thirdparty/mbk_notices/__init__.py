"""mbk-notices: a notice board per office (an API route, a page, a table, a CLI command)."""

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from core.config import OfficeConfig
from core.hookspecs import PageLink
from core.plugins import Plugin, hookimpl
from core.web.deps import ContextDep, LanguageDep, OfficeDep, SessionDep
from mbk_notices import service
from mbk_notices.settings import NoticesSettings

HERE = Path(__file__).resolve().parent
api = APIRouter()
pages = APIRouter()


class NoticeOut(BaseModel):
    text: str
    posted_at: datetime


@api.get("")
def list_notices(office: OfficeDep, session: SessionDep) -> list[NoticeOut]:
    """The office's latest notices, newest first."""
    settings: NoticesSettings = office.settings_for("notices")
    notices = service.latest_notices(session, office.id, settings.max_notices)
    return [NoticeOut(text=n.text, posted_at=n.posted_at) for n in notices]


@pages.get("")
def notice_board(request: Request, office: OfficeDep, ctx: ContextDep, session: SessionDep,
                 language: LanguageDep) -> HTMLResponse:
    settings: NoticesSettings = office.settings_for("notices")
    texts = [n.text for n in service.latest_notices(session, office.id, settings.max_notices)]
    return ctx.render(request, "notices/board.html", office=office, heading=settings.heading.get_text(language),
                      texts=texts)


@hookimpl
def mbk_register() -> Plugin:
    return Plugin(name="notices", description="A notice board", core_versions=">=0.1,<1",
                  settings_model=NoticesSettings, api_router=api, page_router=pages,
                  templates=HERE / "templates", locale=HERE / "locale", migrations=HERE / "migrations")


@hookimpl
def mbk_page_links(office: OfficeConfig) -> list[PageLink]:
    return [PageLink(label="Notice board", path=f"/{office.id}/notices", audience="visitor")]


@hookimpl
def mbk_cli(cli: typer.Typer) -> None:
    @cli.command("notices-post")
    def post(office: Annotated[str, typer.Option()], text: str) -> None:
        """Put a notice on an office's board."""
        from core.cli import load_context

        ctx = load_context()
        with ctx.db.session() as session:
            service.post_notice(session, office, text)
        typer.echo(f"posted at {office}")
