"""Alembic environment of the complaints service (version table `alembic_version_complaints`)."""

from alembic import context

from services.complaints.models import Base
from shared.db import PlumbingBase
from shared.migrations import run_env

run_env(context, [Base.metadata, PlumbingBase.metadata], version_table="alembic_version_complaints")
