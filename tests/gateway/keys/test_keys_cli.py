"""The key CLI works on the gateway's database: a key it issues is one the gateway accepts,
and a key it revokes stops within the gateway's revocation poll."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import Callable

from tests.gateway.conftest import GatewayFactory


def _cli(url: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "tools.keys", *args],
        env={**os.environ, "GATEWAY_DATABASE_URL": url, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


async def test_issue_list_and_revoke_from_the_command_line(
    make_gateway: GatewayFactory, make_database: Callable[[str], str]
) -> None:
    url = make_database("gateway")
    issued = _cli(url, "create", "--name", "asterisk-lab", "--role", "cti")
    key = re.search(r"key:\s+(rpk_\S+)", issued)
    key_id = re.search(r"id:\s+(\S+)", issued)
    assert key is not None and key_id is not None

    async with make_gateway(database_url=url, key_revocation_poll_seconds=0.2) as client:
        before = await client.post("/v1/contacts/events", headers={"X-API-Key": key[1]})
        # In a thread: the gateway's own transactions (its revocation poll) must go on meanwhile,
        # or one begun just before would hold SQLite's lock while the command waits for it.
        listed = await asyncio.to_thread(_cli, url, "list")
        await asyncio.to_thread(_cli, url, "revoke", key_id[1])
        await asyncio.sleep(0.5)  # more than one poll of the revocation list
        after = await client.post("/v1/contacts/events", headers={"X-API-Key": key[1]})

    assert before.status_code == 200
    assert "asterisk-lab" in listed
    assert after.status_code == 401
