"""The agent desktop and the supervisor wall in headless Chromium, over the real services.

A customer with a tier calls (Twilio-signed requests through the gateway). The agent signs in,
goes available, gets the offer live with its screen pop, accepts with the keyboard, sees the
customer's tier and the reasons behind the churn risk, files a complaint from the contact and
moves it one step; the supervisor's wall lists the call and the complaint. Then the same in
Chinese. A screenshot of each step goes to `test-artifacts/screenshots/`.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from shared.i18n import name_of
from tests.contact import twilio_requests as tw
from tests.kafka_helpers import eventually
from tests.processes import gateway_url, running_system
from tests.scoring.conftest import population, tx
from tools.system import System

pytestmark = pytest.mark.e2e
KEY = "pages-" + uuid.uuid4().hex
ADMIN = {"X-API-Key": KEY}
PUBLIC_BASE = "https://rapport.example.com"
TWILIO_TOKEN = "twilio-token-for-the-page-tests"
ARTIFACTS = Path(os.environ.get("RAPPORT_TEST_ARTIFACTS", "test-artifacts")) / "screenshots"
CHROMIUM = os.environ.get("RAPPORT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def system(broker: str, tmp_path: Path, topic_prefix: str) -> Iterator[System]:
    env = {
        "GATEWAY_DEV_ISSUER_ENABLED": "true",
        "CONTACT_TWILIO_AUTH_TOKENS": TWILIO_TOKEN,
        "CONTACT_PUBLIC_BASE_URL": PUBLIC_BASE,
        "CONTACT_ROUTING_INTERVAL_SECONDS": "0.05",
        "CONTACT_ROUTING_OFFER_TIMEOUT_SECONDS": "120",
        "SCORING_REFIT_MIN_CUSTOMERS": "10",
        "CONTACT_KAFKA_SESSION_TIMEOUT_MS": "2000",
        "SCORING_KAFKA_SESSION_TIMEOUT_MS": "2000",
        "COMPLAINTS_KAFKA_SESSION_TIMEOUT_MS": "2000",
    }
    with running_system(
        broker=broker, tmp_path=tmp_path, topic_prefix=topic_prefix, api_key=KEY, extra_env=env
    ) as running:
        yield running


@pytest.fixture
def chromium_path() -> str:
    assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing: `make test` installs chromium"
    return CHROMIUM


@pytest.fixture
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_FLAGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


async def _big_spender(client: httpx.AsyncClient, name: str, phone: str) -> str:
    created = await client.post(
        "/v1/customers", json={"name": name, "phones": [phone]}, headers=ADMIN
    )
    assert created.status_code == 201, created.text
    customer: str = created.json()["customer_id"]
    orders = [tx(customer, "900.00", days_ago=d) for d in (200, 150, 100, 60, 30, 12)]
    answer = await client.post("/v1/transactions", json={"transactions": orders}, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return customer


async def _setup(client: httpx.AsyncClient, callers: dict[str, str]) -> dict[str, str]:
    """A queue, an agent, a fitted model and the callers with their first tiers: phone → tier."""
    assert (await client.post("/v1/queues", json={"name": "support"}, headers=ADMIN)).is_success
    agent = await client.post(
        "/v1/agents",
        json={"login": "agent-1", "name": "Ada", "capacity": {"voice": 2, "chat": 1}},
        headers=ADMIN,
    )
    assert agent.status_code == 201, agent.text
    # The follow-up policies would offer the agent welcome call-backs for the customers the
    # first fit makes gold; this test takes the phone calls only.
    for tier in ("gold", "silver", "bronze", "iron", "unscored"):
        path = f"/v1/follow-up-policies/{tier}/consumer"
        assert (await client.put(path, json={"level": "basic"}, headers=ADMIN)).is_success
    seeded = await client.post(
        "/v1/transactions", json={"transactions": population(150)}, headers=ADMIN
    )
    assert seeded.status_code == 200, seeded.text
    refit = await client.post("/v1/model/refit", headers=ADMIN)
    assert refit.status_code == 201, refit.text
    customers = {phone: await _big_spender(client, name, phone) for phone, name in callers.items()}
    tiers: dict[str, str] = {}

    async def tiered_in_contact() -> bool:
        for phone, customer in customers.items():
            tier = (await client.get(f"/v1/customers/{customer}", headers=ADMIN)).json()["tier"]
            if tier is None:
                return False
            tiers[phone] = tier
        return True

    await eventually(tiered_in_contact, timeout=90, interval=0.5, what="the callers' tiers")
    return tiers


async def _call(client: httpx.AsyncClient, caller: str) -> None:
    """The first requests Twilio sends for an inbound call put in the `support` queue."""
    parent, queue_sid = tw.sid(), tw.sid("QU")
    now = dt.datetime.now(dt.UTC)
    for request in (
        tw.voice(parent, caller),
        tw.status(parent, caller, "ringing", 0, now),
        tw.queue_wait(parent, caller, queue_sid, 0),
    ):
        answer = await tw.send(client, request, token=TWILIO_TOKEN, base=PUBLIC_BASE)
        assert answer.status_code < 300, answer.text


async def _expect_text(page: Page, selector: str, text: str) -> None:
    """Wait for `selector` to read `text`; on failure say what the page reported."""
    try:
        await expect(page.locator(selector)).to_have_text(text, timeout=15_000)
    except AssertionError as error:
        shown = await page.locator("#desk-error").text_content()
        raise AssertionError(f"{error}\nthe page said: {shown!r}") from None


async def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def _agent_flow(
    browser: Browser,
    base: str,
    client: httpx.AsyncClient,
    caller: str,
    tier: str,
    lang: str,
    words: Any,
) -> str:
    context = await browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="zh-CN" if lang == "zh" else "en-US"
    )
    page = await context.new_page()
    await page.goto(f"{base}/desktop")
    await expect(page.locator("#sign-in")).to_be_visible()
    await page.select_option("#username", "agent")
    await page.click("#sign-in-form button[type=submit]")
    await expect(page.locator("#desk")).to_be_visible()
    await expect(page.locator("#presence-box")).to_be_visible()
    await page.select_option("#presence", "available")
    await expect(page.locator("#stream-status")).to_have_text(words["live"])
    await _shot(page, f"{lang}-1-agent-signed-in")

    await _call(client, caller)
    await expect(page.locator("#offer")).to_be_visible(timeout=30_000)
    await _shot(page, f"{lang}-2-offer")
    await page.locator("body").press("a")  # accept with the keyboard
    await expect(page.locator("#offer")).to_be_hidden(timeout=10_000)
    tier_name = name_of("tier", tier, "zh" if lang == "zh" else "en")
    await expect(page.locator("#c-tier")).to_have_text(str(tier_name), timeout=15_000)
    await expect(page.locator("#c-reasons li").first).to_be_visible()
    await _shot(page, f"{lang}-3-screen-pop")

    category = words["category"]
    await page.select_option("#cf-category", category)
    await page.fill("#cf-description", words["description"])
    await page.click("#complaint-form button[type=submit]")
    await _expect_text(page, "#cp-state", words["received"])
    await page.click("#cp-steps button[data-to=acknowledged]")
    await _expect_text(page, "#cp-state", words["acknowledged"])
    category_name = str(name_of("complaint_category", category, "zh" if lang == "zh" else "en"))
    await expect(page.locator("#c-complaints li").first).to_contain_text(category_name)
    await _shot(page, f"{lang}-4-complaint")

    await page.select_option("#wrap-code", "complaint")
    await page.fill("#wrap-notes", words["description"])
    await page.click("#wrap-up button[type=submit]")
    await expect(page.locator("#in-hand")).to_be_hidden(timeout=10_000)
    calls = (await client.get("/v1/calls", headers=ADMIN)).json()["items"]
    wrapped = [c for c in calls if c["from_number"] == caller]
    detail = (await client.get(f"/v1/calls/{wrapped[0]['call_id']}", headers=ADMIN)).json()
    assert (detail["wrap_up_code"], detail["notes"]) == ("complaint", words["description"])
    await context.close()
    return category_name


async def _wall(browser: Browser, base: str, lang: str, caller: str, category: str) -> None:
    context = await browser.new_context(
        viewport={"width": 1366, "height": 768}, locale="zh-CN" if lang == "zh" else "en-US"
    )
    page = await context.new_page()
    await page.goto(f"{base}/wall")
    await page.select_option("#username", "supervisor")
    await page.click("#sign-in-form button[type=submit]")
    await expect(page.locator("#wall")).to_be_visible()
    await expect(page.locator("#queues tbody tr[data-queue=support]")).to_be_visible()
    await expect(page.locator("#calls")).to_contain_text(caller, timeout=15_000)
    await expect(page.locator("#complaints")).to_contain_text(category, timeout=15_000)
    # Both callers were answered within the queue's threshold: 100 % by queue and by tier.
    support = page.locator("#queues tbody tr[data-queue=support] td")
    await expect(support.nth(2)).to_have_text("100.0%", timeout=15_000)
    await expect(page.locator("#tiers tbody tr").first).to_contain_text("100.0%")
    await _shot(page, f"{lang}-5-supervisor-wall")
    await context.close()


ENGLISH = {
    "live": "Live",
    "received": "Received",
    "acknowledged": "Acknowledged",
    "category": "billing",
    "description": "Charged twice for the November plan.",
}
CHINESE = {
    "live": "实时",
    "received": "已受理",
    "acknowledged": "已确认收到",
    "category": "delivery",
    "description": "十一月的套餐被重复扣费。",
}


async def test_an_agent_takes_a_twilio_call_and_files_a_complaint_the_wall_shows_both(
    system: System, browser: Browser
) -> None:
    base = gateway_url(system)
    callers = {"+14155550123": "Mei Chen", "+14155550124": "王小明"}
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        tiers = await _setup(client, callers)
        for caller, (lang, words) in zip(callers, (("en", ENGLISH), ("zh", CHINESE)), strict=True):
            category = await _agent_flow(browser, base, client, caller, tiers[caller], lang, words)
            await _wall(browser, base, lang, caller, category)
