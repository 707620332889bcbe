"""The visitor's booking pages on the demo deployment (SQLite and PostgreSQL): choose a time, book without an
account, the confirmation with the code, the .ics file and the cancel link, refusals shown on the form, the rate
limit, and the page in Arabic."""

from __future__ import annotations

import html
import re
from datetime import datetime

import icalendar
import pytest
from fastapi.testclient import TestClient

from core import qr
from core.context import AppContext
from plugins.appointments import service
from tests.support import drain_events

BOOK = "/skarholmen/appointments/book"
HTML = {"accept": "text/html"}


def form(client: TestClient, language: str = "sv") -> tuple[str, str, str]:
    """The first free time, the form's CSRF token and the page."""
    page = client.get(f"{BOOK}/tax-help", headers=HTML, params={"lang": language})
    assert page.status_code == 200
    start = re.search(r'name="start" id="slot-1" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    return start, token, page.text


def test_book_confirm_download_and_cancel(client: TestClient, ctx: AppContext) -> None:
    listing = client.get(BOOK, headers=HTML, params={"lang": "sv"})
    assert "Hjälp med deklarationen" in listing.text
    start, token, page = form(client)
    assert "Ta med: legitimation och din deklaration" in page
    booked = client.post(f"{BOOK}/tax-help", headers=HTML, follow_redirects=False, params={"lang": "sv"},
                         data={"start": start, "first_name": "Amal", "email": "amal@example.org",
                               "csrf_token": token})
    assert booked.status_code == 303, booked.text
    confirmation = client.get(booked.headers["location"], headers=HTML)
    code = re.search(r'id="booking-code" dir="ltr">(\d{6})<', confirmation.text).group(1)  # type: ignore[union-attr]
    assert "Din bokningskod (skriv upp den):" in confirmation.text
    # the code also as a QR code, for the kiosk's scanner: the same drawing core.qr makes of the code
    assert f'src="{qr.svg_data_uri(code, scale=5)}" data-content="{code}"' in confirmation.text
    assert "Eller visa den här QR-koden för skannern vid skärmen." in confirmation.text
    ics_path = re.search(r'href="([^"]+\.ics)[^"]*" id="booking-ics"', confirmation.text).group(1)  # type: ignore[union-attr]
    [event] = icalendar.Calendar.from_ical(client.get(ics_path).content).walk("VEVENT")
    assert code in str(event["DESCRIPTION"]) and event.decoded("DTSTART") == datetime.fromisoformat(start)
    drain_events(ctx)

    cancel_path = re.search(r'href="([^"]+)" id="booking-cancel"', confirmation.text).group(1)  # type: ignore[union-attr]
    cancel_page = client.get(cancel_path.replace("&amp;", "&"), headers=HTML)
    cancel_token = re.search(r'name="csrf_token" value="([^"]+)"', cancel_page.text).group(1)  # type: ignore[union-attr]
    done = client.post(cancel_path.replace("&amp;", "&"), headers=HTML, data={"csrf_token": cancel_token})
    assert done.status_code == 200 and 'id="cancelled"' in done.text


def test_refusals_are_shown_on_the_form_and_the_page_is_rate_limited(client: TestClient) -> None:
    start, token, _ = form(client, "ar")
    missing = client.post(f"{BOOK}/tax-help", headers=HTML, params={"lang": "ar"},
                          data={"start": start, "first_name": "Amal", "csrf_token": token})
    assert missing.status_code == 422 and "يرجى إدخال رقم هاتف" in missing.text and 'dir="rtl"' in missing.text
    answers = [client.post(f"{BOOK}/tax-help", headers=HTML, params={"lang": "sv"}, follow_redirects=False, data={
        "start": start, "first_name": f"Besökare {n}", "phone": "0701234567", "csrf_token": token}).status_code
        for n in range(10)]
    # two places in the slot, then full; the eleventh attempt in the hour (the first was refused) is one too many
    assert answers == [303, 303] + [409] * 7 + [429]
    assert client.post(f"{BOOK}/tax-help", headers=HTML, data={"start": start, "first_name": "X",
                                                               "phone": "0701234567"}).status_code == 403  # no CSRF
    assert client.get(f"{BOOK}/no-such-service", headers=HTML).status_code == 404


def test_no_free_booking_code_is_said_on_the_form_in_the_visitors_language(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "CODE_ATTEMPTS", 0)  # every code drawn is taken: none is left to try
    for language, expected in (("sv", "Ingen ledig bokningskod hittades. Försök igen."),
                               ("ar", "لم يُعثر على رمز حجز متاح. يرجى المحاولة مرة أخرى.")):
        start, token, _ = form(client, language)
        refused = client.post(f"{BOOK}/tax-help", headers=HTML, params={"lang": language}, follow_redirects=False,
                              data={"start": start, "first_name": "Amal", "phone": "0701234567", "csrf_token": token})
        assert refused.status_code == 503
        assert expected in html.unescape(refused.text) and f'lang="{language}"' in refused.text


def test_a_bad_form_or_address_is_told_in_the_visitors_language(client: TestClient) -> None:
    for language, expected in (("sv", ("query.day: inte ett datum (skriv till exempel 2026-05-04)",
                                       "first_name: längre än 200 tecken")),
                               ("ar", ("query.day: ليس تاريخاً (اكتبه هكذا 2026-05-04)",
                                       "first_name: أطول من 200 حرفاً"))):
        start, token, _ = form(client, language)
        bad_day = client.get(f"{BOOK}/tax-help", headers=HTML, params={"lang": language, "day": "4 May"})
        long_name = client.post(f"{BOOK}/tax-help", headers=HTML, params={"lang": language}, data={
            "start": start, "first_name": "A" * 201, "phone": "0701234567", "csrf_token": token})
        for answer, problem in zip((bad_day, long_name), expected, strict=True):
            assert answer.status_code == 422 and f'lang="{language}"' in answer.text
            assert problem in html.unescape(answer.text)
