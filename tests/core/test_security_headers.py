"""Security headers on every response: CSP without inline script, framing refused except for embeddable pages
an office allows, nosniff, Referrer-Policy, HSTS with secure cookies. The browser tests check that the pages
still work under the policy (tests/conftest.py's ``page`` fixture fails on any CSP report)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.config import ConfigError
from core.loading import load_deployment
from core.web.app import AppContext, create_app
from tests.support import builtin_plugins

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "deployments" / "demo"
HTML = {"accept": "text/html"}


def directives(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    policy = response.headers["content-security-policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] for part in (p.strip() for p in policy.split(";"))}


def demo_with_embedding(tmp_path: Path, origins: str) -> Path:
    deployment = tmp_path / "deployment"
    shutil.copytree(DEMO, deployment)
    office = deployment / "offices" / "skarholmen.toml"
    office.write_text(office.read_text().replace('address = "', f'embed_origins = {origins}\naddress = "', 1))
    return deployment


PATHS = ["/", "/skarholmen", "/skarholmen/queue/board", "/skarholmen/kiosk", "/static/core/core.css",
         "/api/v1/offices", "/healthz", "/no/such/page", "/openapi.json"]


def test_every_response_carries_the_headers(client: TestClient) -> None:
    for path in PATHS:
        response = client.get(path, headers=HTML)
        policy = directives(response)
        assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'", path
        assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'", path
        assert policy["frame-ancestors"] == "'none'", path
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "same-origin", path
        assert "strict-transport-security" not in response.headers, path  # plain http: HSTS would lock out


def test_hsts_when_cookies_are_secure(make_context: Callable[..., AppContext]) -> None:
    with TestClient(create_app(make_context(secure_cookies=True)), base_url="https://testserver") as client:
        response = client.get("/skarholmen", headers=HTML)
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def test_an_office_may_let_an_intranet_frame_its_board_and_nothing_else(
        make_context: Callable[..., AppContext], tmp_path: Path) -> None:
    deployment = demo_with_embedding(tmp_path, '["https://intranet.example.org", "http://info-screen:8080"]')
    with TestClient(create_app(make_context(deployment=deployment))) as client:
        board = client.get("/skarholmen/queue/board", headers=HTML)
        assert directives(board)["frame-ancestors"] == "https://intranet.example.org http://info-screen:8080"
        # the same office's other pages, and the other office's board, stay unframeable
        assert directives(client.get("/skarholmen/kiosk", headers=HTML))["frame-ancestors"] == "'none'"
        assert directives(client.get("/skarholmen", headers=HTML))["frame-ancestors"] == "'none'"
        assert directives(client.get("/rinkeby/queue/board", headers=HTML))["frame-ancestors"] == "'none'"


@pytest.mark.parametrize("origin", ["intranet.example.org", "https://intranet.example.org/board",
                                    "https://*.example.org", "'self' https://a.example"])
def test_an_embedding_origin_must_be_an_origin(tmp_path: Path, origin: str) -> None:
    deployment = demo_with_embedding(tmp_path, f'["{origin}"]')
    with pytest.raises(ConfigError) as raised:
        load_deployment(deployment, builtin_plugins())
    [problem] = raised.value.problems
    assert problem.path == "office.embed_origins" and "is not an origin" in problem.message


TEMPLATE_DIRS = [ROOT / "core" / "web" / "templates", *sorted((ROOT / "plugins").glob("*/templates"))]
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler"),
    (re.compile(r"\sstyle\s*=|<style", re.I), "inline style"),
]


def test_no_template_has_inline_script_or_style() -> None:
    """The policy forbids them; a template that brings one back would fail only in the browser."""
    found = []
    for folder in TEMPLATE_DIRS:
        for template in folder.rglob("*.html"):
            text = template.read_text()
            found += [f"{template.relative_to(ROOT)}: {what}" for pattern, what in INLINE if pattern.search(text)]
    assert found == []
