"""`GET /v1/catalogue`: the names of the domain's values, for pages and clients."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from shared.i18n import LANGUAGES, Language, catalogue, names_in

router = APIRouter(tags=["catalogue"])


@router.get(
    "/v1/catalogue",
    summary="The names of tiers, lifecycle stages, states and levels in one language",
    description=(
        "The one message catalogue (English and Chinese) that the services use to add "
        "`<field>_name` to responses of requests sent with `?lang=` or `Accept-Language`, "
        "and that the web pages use for their labels (`ui`: the pages' own words). `fields` "
        "says which sections name the values of each response field. Public: no data in it."
    ),
    openapi_extra={"x-permission": "(public)"},
)
async def read_catalogue(lang: Language = Query("en")) -> dict[str, Any]:
    return {
        "language": lang,
        "languages": list(LANGUAGES),
        "sections": names_in(lang),
        "ui": {key: names[lang] for key, names in catalogue()["ui"].items()},
        "fields": catalogue()["fields"],
    }
