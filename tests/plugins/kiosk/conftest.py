"""Kiosk test fixtures: a small deployment with a stand-in queue, and kiosk credentials."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import plugins.kiosk
from core.plugins import PluginManager
from core.web.app import AppContext, create_app
from tests.plugins.kiosk import fakemessenger, fakequeue

OFFICE = """
[office]
id = "{id}"
name = {{ sv = "Kontoret {id}", en = "Office {id}" }}
languages = ["sv", "en", "ar", "so"]

[plugins]
enabled = [{enabled}]

[plugins.kiosk]
inactivity_seconds = 30
warning_seconds = 10
waiting_area = {{ sv = "Soffan vid fönstret", en = "The sofa by the window" }}
tiles = [
  {{ id = "computer-help", label = {{ sv = "Datorhjälp", en = "Computer help" }}, ticket_service = "computers" }},
  {{ id = "parking", label = {{ sv = "Parkering" }}, link = "/{id}/kiosk/guides/parking", icon = "book" }},
]

[[directory.units]]
id = "social"
name = {{ sv = "Socialtjänsten", en = "Social services", ar = "الخدمات الاجتماعية" }}

[[directory.officers]]
id = "a-lind"
name = "Anna Lind"
unit = "social"
booking_codes = ["4711"]

[[directory.officers]]
id = "b-berg"
name = "Bo Berg"
booking_codes = ["1234"]
"""

OWN_GUIDE = """---
title: Parkeringstillstånd
summary: Tillstånd för rörelsehindrade.
order: 5
questions:
  - id: need
    text: Vad gäller det?
    options:
      new: Nytt tillstånd
      renew: Förnya
---
Du söker hos Trafikkontoret.

## Steg för steg {#steps}

1. Fyll i ansökan.
"""

OWN_HOUSING_EN = """---
title: Housing (Test office edition)
---
Our own English housing text.

## Step by step {#steps}

1. Ask at our desk.
"""


def write_deployment(root: Path) -> Path:
    (root / "offices").mkdir(parents=True)
    (root / "platform.toml").write_text('[platform]\nname = { sv = "Test", en = "Test" }\n')
    (root / "offices" / "testby.toml").write_text(
        OFFICE.format(id="testby", enabled='"kiosk", "fakequeue", "fakemessenger"'))
    (root / "offices" / "otherby.toml").write_text(OFFICE.format(id="otherby", enabled='"kiosk"'))
    (root / "kiosk" / "guides" / "parking").mkdir(parents=True)
    (root / "kiosk" / "guides" / "parking" / "sv.md").write_text(OWN_GUIDE)
    (root / "kiosk" / "guides" / "housing").mkdir(parents=True)
    (root / "kiosk" / "guides" / "housing" / "en.md").write_text(OWN_HOUSING_EN)
    return root


@pytest.fixture
def kiosk_ctx(make_context: Callable[..., AppContext], tmp_path: Path) -> AppContext:
    """Offices "testby" (kiosk + stand-in queue and messenger, own guides) and "otherby" (kiosk only: no queue,
    nobody to tell of an arrival)."""
    fakequeue.requests.clear()
    fakequeue.closed.clear()
    manager = PluginManager.from_objects({"kiosk": plugins.kiosk, "fakequeue": fakequeue,
                                         "fakemessenger": fakemessenger})
    return make_context(deployment=write_deployment(tmp_path / "deployment"), plugins=manager)


@pytest.fixture
def kiosk_client(kiosk_ctx: AppContext) -> Iterator[TestClient]:
    with TestClient(create_app(kiosk_ctx)) as client:
        yield client
