"""People: an office's staff accounts in the browser (``/{office}/admin/people``) and the API
(``/api/v1/offices/{office}/users``), and the one-time password page. The rules live in core.people."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from core import auth, people
from core.auth import Principal
from core.config import OfficeConfig
from core.problems import Invalid, Problem
from core.web.deps import ContextDep, OfficeDep, SessionDep
from core.web.schemas import PersonAdded, PersonChanged, PersonOut
from core.web.security import (
    check_csrf,
    forget_shown,
    require,
    show_after_redirect,
    shown_after_redirect,
    staff_page,
)

api = APIRouter(tags=["people"])
pages = APIRouter(include_in_schema=False)

Role = Literal["admin", "guide", "officer", "viewer"]
PersonAction = Literal["roles", "disable", "enable", "password_link"]
AdminDep = Annotated[Principal, Depends(require("admin"))]
AdminPageDep = Annotated[Principal, Depends(staff_page("admin"))]


class NewPerson(BaseModel):
    username: str = Field(min_length=1, max_length=150)
    display_name: str = Field(default="", max_length=200)
    roles: list[Role] = Field(min_length=1)


class PersonChange(BaseModel):
    """Any of: the roles at this office (all of them), disabled or not, a new one-time password link."""

    roles: list[Role] | None = None
    disabled: bool | None = None
    password_link: bool = False


def password_url(ctx: ContextDep, code: str) -> str:
    return f"{ctx.settings.base_url.rstrip('/')}/password?code={quote(code)}"


# --- API --------------------------------------------------------------------------------------------


@api.get("/api/v1/offices/{office}/users", response_model=list[PersonOut])
def list_users(office: OfficeDep, session: SessionDep, principal: AdminDep) -> list[dict[str, object]]:
    """Everyone with a role at the office (office admins and platform admins)."""
    return [p.as_json() for p in people.office_people(session, office.id)]


@api.post("/api/v1/offices/{office}/users", status_code=201, response_model=PersonAdded,
          responses={200: {"model": PersonAdded, "description": "an existing account got roles here"}})
def add_user(request: Request, body: NewPerson, office: OfficeDep, ctx: ContextDep, session: SessionDep,
             principal: AdminDep) -> JSONResponse:
    """Add a staff member with roles at the office, or give an existing account roles here. A new account gets a
    one-time link to choose its password (``password_link``), valid 48 hours."""
    _ = ctx.translator.gettext(ctx.language(request, office))
    user, created = people.add_person(session, principal, body.username, office_id=office.id, roles=body.roles,
                                      display_name=body.display_name, _=_)
    link = password_url(ctx, people.new_password_link(session, principal, office.id, user.username, _)
                        ) if created else None
    return JSONResponse({**people.person(user, office.id).as_json(), "created": created, "password_link": link},
                        status_code=201 if created else 200)


@api.patch("/api/v1/offices/{office}/users/{username}", response_model=PersonChanged)
def change_user(request: Request, username: str, body: PersonChange, office: OfficeDep, ctx: ContextDep,
                session: SessionDep, principal: AdminDep) -> dict[str, object]:
    _ = ctx.translator.gettext(ctx.language(request, office))
    user = None
    if body.roles is not None:
        user = people.set_roles(session, principal, office.id, username, body.roles, _)
    if body.disabled is not None:
        user = people.set_disabled(session, principal, office.id, username, body.disabled, _)
    link = password_url(ctx, people.new_password_link(session, principal, office.id, username, _)
                        ) if body.password_link else None
    if user is None:
        user = people.member(session, office.id, username, _)
    return {**people.person(user, office.id).as_json(), "password_link": link}


# --- Pages ------------------------------------------------------------------------------------------


def _people_page(request: Request, ctx: ContextDep, office: OfficeConfig, session: SessionDep, *,
                 status_code: int = 200, **values: object) -> Response:
    return ctx.render(request, "people.html", office=office, status_code=status_code,
                      people=people.office_people(session, office.id), roles=people.ROLE_LABELS,
                      **{"error": None, "link": None, "link_for": None, "form": {}, **values})


def _shown_link(request: Request, ctx: ContextDep, office: OfficeConfig, session: SessionDep,
                username: str | None) -> str | None:
    """Right after a form made a password link (post/redirect/get): that link again, while it can be used."""
    code = shown_after_redirect(request, "password_link", f"{office.id}/{username}") if username else None
    if code is None:
        return None
    try:
        if people.password_link_user(session, code).username != username:
            raise Invalid("unknown_link", "the link is someone else's")
    except Problem:
        forget_shown(request)  # used or expired: nothing left to show
        return None
    return password_url(ctx, code)


@pages.get("/{office}/admin/people")
def people_page(request: Request, office: OfficeDep, ctx: ContextDep, session: SessionDep,
                principal: AdminPageDep, added: Annotated[str | None, Query(max_length=150)] = None) -> Response:
    """The office's people; ``?added=USERNAME`` right after adding someone new shows their password link."""
    link = _shown_link(request, ctx, office, session, added)
    return _people_page(request, ctx, office, session, link=link, link_for=added if link else None)


@pages.post("/{office}/admin/people")
def people_add(request: Request, office: OfficeDep, ctx: ContextDep, session: SessionDep, principal: AdminPageDep,
               username: Annotated[str, Form(max_length=150)], display_name: Annotated[str, Form(max_length=200)] = "",
               roles: Annotated[list[str] | None, Form()] = None, csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    _ = ctx.translator.gettext(ctx.language(request, office))
    try:
        with session.begin_nested():
            user, created = people.add_person(session, principal, username, office_id=office.id, roles=roles or [],
                                              display_name=display_name, _=_)
            code = people.new_password_link(session, principal, office.id, user.username, _) if created else None
    except Problem as exc:
        return _people_page(request, ctx, office, session, status_code=422, error=exc.message,
                            form={"username": username, "display_name": display_name, "roles": roles or []})
    if code is None:
        return RedirectResponse(f"/{office.id}/admin/people", status_code=303)
    show_after_redirect(request, "password_link", f"{office.id}/{user.username}", code)
    return RedirectResponse(f"/{office.id}/admin/people?added={quote(user.username)}", status_code=303)


def _person_page(request: Request, ctx: ContextDep, office: OfficeConfig, session: SessionDep, username: str, *,
                 status_code: int = 200, **values: object) -> Response:
    _ = ctx.translator.gettext(ctx.language(request, office))
    member = people.person(people.member(session, office.id, username, _), office.id)
    return ctx.render(request, "person.html", office=office, status_code=status_code, person=member,
                      roles=people.ROLE_LABELS, **{"error": None, "link": None, **values})


@pages.get("/{office}/admin/people/{username}")
def person_page(request: Request, username: str, office: OfficeDep, ctx: ContextDep, session: SessionDep,
                principal: AdminPageDep) -> Response:
    """A person's roles and account; right after "new password link" (post/redirect/get), that link."""
    return _person_page(request, ctx, office, session, username,
                        link=_shown_link(request, ctx, office, session, username))


@pages.post("/{office}/admin/people/{username}")
def person_change(request: Request, username: str, office: OfficeDep, ctx: ContextDep, session: SessionDep,
                  principal: AdminPageDep, action: Annotated[PersonAction, Form()],
                  roles: Annotated[list[str] | None, Form()] = None, csrf_token: Annotated[str, Form()] = ""
                  ) -> Response:
    """One form per change on the person's page: ``action`` says which."""
    check_csrf(request, csrf_token)
    _ = ctx.translator.gettext(ctx.language(request, office))
    try:
        with session.begin_nested():
            if action == "roles":
                people.set_roles(session, principal, office.id, username, roles or [], _)
            elif action == "password_link":
                code = people.new_password_link(session, principal, office.id, username, _)
                show_after_redirect(request, "password_link", f"{office.id}/{username}", code)
            else:
                people.set_disabled(session, principal, office.id, username, action == "disable", _)
    except Problem as exc:
        return _person_page(request, ctx, office, session, username, status_code=409, error=exc.message)
    return RedirectResponse(f"/{office.id}/admin/people/{quote(username)}", status_code=303)


@pages.get("/password")
def password_page(request: Request, ctx: ContextDep, session: SessionDep, code: str = "") -> Response:
    """A one-time password link: choose a password (the link is checked now, and again when it is used)."""
    _ = ctx.translator.gettext(ctx.language(request, None))
    try:
        user = people.password_link_user(session, code, _=_)
    except Problem as exc:
        return ctx.render(request, "password.html", status_code=404, code=None, username=None, error=exc.message,
                          min_length=auth.MIN_PASSWORD_LENGTH)
    return ctx.render(request, "password.html", code=code, username=user.username, error=None,
                      min_length=auth.MIN_PASSWORD_LENGTH)


@pages.post("/password")
def password_submit(request: Request, ctx: ContextDep, session: SessionDep, code: Annotated[str, Form()],
                    password: Annotated[str, Form()], repeat: Annotated[str, Form()],
                    csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    _ = ctx.translator.gettext(ctx.language(request, None))
    username = None  # known once the link is found: the form is shown again only for a link that works
    try:
        with session.begin_nested():
            username = people.password_link_user(session, code, _=_).username
            if password != repeat:
                raise Invalid("passwords_differ", _("The two passwords differ."), field="repeat")
            people.use_password_link(session, code, password, _=_)
    except Problem as exc:
        return ctx.render(request, "password.html", status_code=422, code=code if username else None,
                          username=username, error=exc.message, min_length=auth.MIN_PASSWORD_LENGTH)
    return RedirectResponse("/login?password_set=1", status_code=303)
