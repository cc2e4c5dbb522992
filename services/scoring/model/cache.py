"""The latest fit, kept by the app and re-read from the database at most every few seconds."""

from __future__ import annotations

import time

from sqlalchemy.ext.asyncio import AsyncSession

from services.scoring.model import repository
from services.scoring.model.snapshot import PopulationModel, snapshot

# Every event needs the model and fits are rare: the stored fit is re-read at most this often.
MODEL_CACHE_SECONDS = 5.0


class ModelCache:
    """The latest fit per database; one per app, handed to every function that scores."""

    def __init__(self, seconds: float = MODEL_CACHE_SECONDS) -> None:
        self.seconds = seconds
        self._entries: dict[str, tuple[float, PopulationModel | None]] = {}

    async def current(self, session: AsyncSession) -> PopulationModel | None:
        """The latest fit, if any (a fit made by another process shows within `seconds`)."""
        key = _database_key(session)
        cached = self._entries.get(key)
        if cached is not None and time.monotonic() - cached[0] < self.seconds:
            return cached[1]
        row = await repository.latest_fit(session)
        model = None if row is None else snapshot(row)
        self._entries[key] = (time.monotonic(), model)
        return model

    def forget(self, session: AsyncSession) -> None:
        """Drop the cached fit of the session's database: the next read sees a new fit at once."""
        self._entries.pop(_database_key(session), None)


def _database_key(session: AsyncSession) -> str:
    return str(session.get_bind().engine.url)
