"""The gateway's request dependencies."""

from typing import Annotated

from fastapi import Depends

from services.gateway.settings import GatewaySettings
from shared.api import settings_dependency

Settings = Annotated[GatewaySettings, Depends(settings_dependency(GatewaySettings))]
