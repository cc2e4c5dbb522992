"""Population views: distribution, equity and churn rate over every customer."""

from __future__ import annotations

import httpx
import pytest

from tests.scoring.helpers import fitted


async def test_population_views_add_up(client: httpx.AsyncClient) -> None:
    await fitted(client, n=200)
    dist = (await client.get("/v1/scores/distribution")).json()
    equity = (await client.get("/v1/scores/equity")).json()
    churn = (await client.get("/v1/scores/churn-rate")).json()

    assert sum(dist["tiers"].values()) == dist["buyers"] == 200
    assert dist["tiers"]["gold"] == 2 and dist["tiers"]["iron"] >= 90
    assert sum(dist["segments"].values()) == dist["customers"]
    assert sum(dist["lifecycle_stages"].values()) == dist["customers"]
    assert [(b["low"], b["high"]) for b in dist["risk_bands"]] == [
        (i / 10, (i + 1) / 10) for i in range(10)
    ]
    assert sum(b["customers"] for b in dist["risk_bands"]) == dist["customers"]
    assert equity["equity"] == pytest.approx(sum(equity["by_tier"].values()), abs=0.05)
    assert equity["by_tier"]["gold"] > 0
    # The model-based figure is checked on hand-computed numbers in scores/test_textbook.py.
    assert 0 < churn["churn_rate"] < 1
    counted = (await client.get("/v1/scores/churn")).json()
    beside = counted["model_based"]
    assert (beside["buyers"], beside["fit_id"]) == (churn["buyers"], churn["fit_id"])
    assert beside["churn_rate"] == pytest.approx(churn["churn_rate"], abs=1e-3)
