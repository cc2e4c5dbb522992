"""The pages are served by the gateway, hold no secrets, and every word they show is catalogued."""

from __future__ import annotations

import re

from services.gateway.ui.routes import STATIC
from shared.i18n import catalogue
from tests.gateway.conftest import GatewayFactory

PAGES = ("desktop.html", "wall.html")
SCRIPTS = ("api.js", "desktop.js", "wall.js")


def _keys() -> set[str]:
    keys: set[str] = set()
    for page in PAGES:
        html = (STATIC / page).read_text()
        keys |= set(re.findall(r'data-t(?:-label|-placeholder)?="([^"]+)"', html))
    for script in SCRIPTS:
        keys |= set(re.findall(r'\bt\("([a-z_.]+)"\)', (STATIC / script).read_text()))
    return keys


def test_every_page_word_is_in_the_catalogue_in_both_languages() -> None:
    ui = catalogue()["ui"]
    keys = _keys()
    assert len(keys) > 40
    missing = sorted(k for k in keys if k not in ui)
    assert not missing
    for key in keys:
        assert ui[key]["en"].strip() and re.search(r"[\u4e00-\u9fff]", ui[key]["zh"]), key


def test_the_pages_load_nothing_from_elsewhere() -> None:
    for path in STATIC.glob("*.*"):
        text = path.read_text()
        assert not re.search(r"(src|href)=\"(https?:)?//", text), path.name
        assert "cdn" not in text.lower(), path.name


def test_the_vendored_library_keeps_its_licence_and_version() -> None:
    vendored = [p for p in (STATIC / "vendor").iterdir() if p.is_dir()]
    assert vendored
    for folder in vendored:
        assert re.fullmatch(r"[a-z.]+-\d+\.\d+\.\d+", folder.name)
        assert (folder / "LICENSE.md").exists()


async def test_the_gateway_serves_the_pages_and_nothing_outside_them(
    make_gateway: GatewayFactory,
) -> None:
    async with make_gateway() as client:
        for path, kind in (
            ("/desktop", "text/html"),
            ("/wall", "text/html"),
            ("/ui/app.css", "text/css"),
            ("/ui/desktop.js", "text/javascript"),
            ("/ui/vendor/chart.js-4.6.1/chart.umd.min.js", "text/javascript"),
        ):
            answer = await client.get(path, auth=None)
            assert answer.status_code == 200, path
            assert answer.headers["content-type"].startswith(kind), path
        page = await client.get("/desktop", auth=None)
        assert "script-src 'self'" in page.headers["content-security-policy"]
        home = await client.get("/", auth=None, follow_redirects=False)
        assert (home.status_code, home.headers["location"]) == (307, "/desktop")
        for outside in ("/ui/../routes.py", "/ui/%2e%2e/routes.py", "/ui/routes.py", "/ui/nope.js"):
            answer = await client.get(outside, auth=None)
            assert answer.status_code in (400, 404), outside
            assert answer.headers["content-type"].startswith("application/problem+json")
