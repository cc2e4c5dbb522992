"""Alembic environment of the scoring service (version table `alembic_version_scoring`)."""

from alembic import context

from services.scoring.models import Base
from shared.db import PlumbingBase
from shared.migrations import run_env

run_env(context, [Base.metadata, PlumbingBase.metadata], version_table="alembic_version_scoring")
