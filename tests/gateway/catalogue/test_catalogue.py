"""The gateway hands out the message catalogue to pages and clients, without a credential."""

from __future__ import annotations

from tests.gateway.conftest import GatewayFactory


async def test_the_catalogue_is_public_and_in_the_language_asked(
    make_gateway: GatewayFactory,
) -> None:
    async with make_gateway() as client:
        zh = await client.get("/v1/catalogue", params={"lang": "zh"}, auth=None)
        assert zh.status_code == 200
        assert zh.json()["language"] == "zh"
        assert zh.json()["sections"]["relationship_level"]["proactive"] == "能动型"
        assert zh.json()["sections"]["tier"]["gold"] == "金客户"
        assert zh.json()["fields"]["previous_tier"] == ["tier"]

        en = await client.get("/v1/catalogue", auth=None)
        assert en.json()["sections"]["tier"]["gold"] == "Gold customer"

        wrong = await client.get("/v1/catalogue", params={"lang": "fr"}, auth=None)
        assert wrong.status_code == 422
        assert wrong.headers["content-type"].startswith("application/problem+json")
