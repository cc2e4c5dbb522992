"""The web pages: the agent desktop at `/desktop`, the supervisor wall at `/wall`.

Static files served by the gateway itself, no build step: plain ES modules, one stylesheet,
Chart.js vendored under `static/vendor/` with its licence. The pages hold no data; every
figure comes from the API with the signed-in person's token, so the API's permissions apply.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse

from shared.errors import NotFoundError

STATIC = Path(__file__).parent / "static"
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
}
PUBLIC = {"x-permission": "(public)"}

router = APIRouter(tags=["pages"], include_in_schema=False)


@router.get("/", openapi_extra=PUBLIC)
async def home() -> RedirectResponse:
    return RedirectResponse("/desktop", status_code=307)


@router.get("/desktop", openapi_extra=PUBLIC)
async def desktop() -> FileResponse:
    return FileResponse(STATIC / "desktop.html", media_type=MEDIA_TYPES[".html"])


@router.get("/wall", openapi_extra=PUBLIC)
async def wall() -> FileResponse:
    return FileResponse(STATIC / "wall.html", media_type=MEDIA_TYPES[".html"])


@router.get("/ui/{name:path}", openapi_extra=PUBLIC)
async def asset(name: str) -> FileResponse:
    """A file of the pages; only files that exist under `static/`, never outside it."""
    path = (STATIC / name).resolve()
    if not path.is_relative_to(STATIC.resolve()) or not path.is_file():
        raise NotFoundError(f"No page file {name!r}.")
    media_type = MEDIA_TYPES.get(path.suffix)
    if media_type is None:
        raise NotFoundError(f"No page file {name!r}.")
    return FileResponse(path, media_type=media_type)
