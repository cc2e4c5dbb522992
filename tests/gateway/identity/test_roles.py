"""The grant table names only known permissions and keeps internal ones away from people."""

from __future__ import annotations

from services.gateway.identity.roles import ROLE_PERMISSIONS, permissions_of, unknown_permissions

INTERNAL = {"call-events:record", "contacts:record", "transactions:record", "model:refit"}


def test_every_granted_permission_is_in_the_shared_list() -> None:
    assert unknown_permissions() == set()


def test_people_never_hold_internal_permissions() -> None:
    for role in ("agent", "supervisor", "admin"):
        assert ROLE_PERMISSIONS[role] & INTERNAL == set(), role


def test_roles_accumulate_and_unknown_roles_grant_nothing() -> None:
    assert set(permissions_of(["agent"])) < set(permissions_of(["supervisor"]))
    assert set(permissions_of(["supervisor"])) < set(permissions_of(["admin"]))
    assert permissions_of(["root", "superuser"]) == []
