"""The four services as the tools see them: port, ASGI factory, migrations, env prefix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ServiceInfo:
    """How to start and migrate one service."""

    name: str
    port: int
    factory: str

    @property
    def env_prefix(self) -> str:
        return f"{self.name.upper()}_"

    @property
    def migrations_dir(self) -> Path:
        return ROOT / "services" / self.name / "migrations"

    def sqlite_url(self, data_dir: Path) -> str:
        return f"sqlite+aiosqlite:///{data_dir / f'{self.name}.db'}"


SERVICES: tuple[ServiceInfo, ...] = (
    ServiceInfo("contact", 8001, "services.contact.main:create_app"),
    ServiceInfo("complaints", 8002, "services.complaints.main:create_app"),
    ServiceInfo("scoring", 8003, "services.scoring.main:create_app"),
    ServiceInfo("gateway", 8000, "services.gateway.main:create_app"),
)
BY_NAME = {s.name: s for s in SERVICES}
