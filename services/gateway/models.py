"""Gateway tables (API keys, users and roles arrive with full authentication)."""

from sqlalchemy.orm import DeclarativeBase

from shared.db import make_metadata


class Base(DeclarativeBase):
    """Declarative base of the gateway's own database."""

    metadata = make_metadata()
