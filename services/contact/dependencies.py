"""Request dependencies of the contact service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from services.contact.settings import ContactSettings
from shared.api import settings_dependency

Settings = Annotated[ContactSettings, Depends(settings_dependency(ContactSettings))]
