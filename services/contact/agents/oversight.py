"""Whose work a person may see and act on: the scoping rule, pure.

- Systems (API keys) and admins (`agents:manage`): everyone.
- Agents: themselves only — their own offers, presence and contacts.
- Supervisors (`agents:supervise`): themselves and the agents who share one of their teams.
  A supervisor's teams are those of their own agent record (`Agent.teams`, kept by admins);
  a supervisor with no team at all (a centre that does not use teams) oversees everyone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from shared.identity import Identity


@dataclass(frozen=True)
class Oversight:
    """The agents a caller may act for: everyone, or the listed logins and teams."""

    everyone: bool
    logins: frozenset[str] = frozenset()
    teams: frozenset[str] = frozenset()

    def covers(self, login: str, teams: Iterable[str]) -> bool:
        """Whether the agent with `login` in `teams` is within reach."""
        return self.everyone or login in self.logins or not self.teams.isdisjoint(teams)


def oversight(caller: Identity, own_teams: Iterable[str] | None) -> Oversight:
    """What `caller` oversees; `own_teams` are the teams of their agent record (None: none)."""
    if caller.kind != "user" or caller.may("agents:manage"):
        return Oversight(everyone=True)
    own = frozenset({caller.agent_id}) if caller.agent_id else frozenset()
    if not caller.may("agents:supervise"):
        return Oversight(everyone=False, logins=own)
    teams = frozenset(own_teams or ())
    return Oversight(everyone=not teams, logins=own, teams=teams)
