"""Gateway tables: the API keys of services and phone systems."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, String, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime, make_metadata


class Base(DeclarativeBase):
    """Declarative base of the gateway's own database."""

    metadata = make_metadata()


class ApiKey(Base):
    """A key a system authenticates with; only a hash of its secret is kept."""

    __tablename__ = "api_key"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # The public part of the key (`rpk_<lookup>_<secret>`): finds the row without the secret.
    lookup: Mapped[str] = mapped_column(String(32), unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    roles: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(timezone=True))
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(timezone=True))
    replaced_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
