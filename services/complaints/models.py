"""Complaints service tables (the complaint record itself arrives with its lifecycle)."""

from sqlalchemy.orm import DeclarativeBase

from shared.db import make_metadata


class Base(DeclarativeBase):
    """Declarative base of the complaints service's own database."""

    metadata = make_metadata()
