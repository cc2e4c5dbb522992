"""Alembic environment of the gateway service (version table `alembic_version_gateway`)."""

from alembic import context

from services.gateway.models import Base
from shared.db import PlumbingBase
from shared.migrations import run_env

run_env(context, [Base.metadata, PlumbingBase.metadata], version_table="alembic_version_gateway")
