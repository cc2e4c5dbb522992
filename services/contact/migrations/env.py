"""Alembic environment of the contact service (version table `alembic_version_contact`)."""

from alembic import context

# Sub-domains with tables of their own keep them in their `models.py`, on the same `Base`.
import services.contact.followups.models
import services.contact.kpis.models
import services.contact.surveys.models  # noqa: F401
from services.contact.models import Base
from shared.db import PlumbingBase
from shared.migrations import run_env

run_env(context, [Base.metadata, PlumbingBase.metadata], version_table="alembic_version_contact")
