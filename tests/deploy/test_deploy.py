"""The deployment files are valid and their scripts work on the real PostgreSQL and broker."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import kubernetes_validate
import pytest
import yaml
from aiokafka.admin import AIOKafkaAdminClient

from tests.deploy.kustomize import render

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S_VERSION = "1.30"
SERVICES = ("gateway", "contact", "complaints", "scoring")


def _exported_metric_names() -> set[str]:
    """Every metric family name the code defines (as Prometheus shows it)."""
    names: set[str] = set()
    for path in [*ROOT.glob("shared/*.py"), *ROOT.glob("services/*/metrics.py")]:
        for name in re.findall(r'"(rapport_[a-z_]+)"', path.read_text()):
            names.add(name)
    shown = set(names)
    for name in names:
        shown |= {f"{name}_total", f"{name}_bucket", f"{name}_count", f"{name}_sum"}
    return shown


def test_compose_file_matches_the_compose_specification() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.compose-spec",
            str(ROOT / "docker-compose.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name in SERVICES:
        command = compose["services"][name]["command"]
        assert "--no-access-log" in command and "--log-config" in command
    assert compose["services"]["kafka-ui"]["profiles"] == ["tools"]


def _validate(objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)


def test_base_manifests_match_the_kubernetes_schemas() -> None:
    objects = render(DEPLOY / "k8s" / "base")
    _validate(objects)
    kinds = {(o["kind"], o["metadata"]["name"]) for o in objects}
    for name in SERVICES:
        for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"):
            assert (kind, name) in kinds
    assert ("Job", "rapport-migrate") in kinds
    for deployment in (o for o in objects if o["kind"] == "Deployment"):
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert {"requests", "limits"} <= set(container["resources"])
        assert "--no-access-log" in container["command"]


@pytest.mark.parametrize("overlay", ["production", "staging"])
def test_overlays_render_and_validate(overlay: str) -> None:
    objects = render(DEPLOY / "k8s" / "overlays" / overlay)
    _validate(objects)
    assert {o["metadata"].get("namespace") for o in objects} != {None}
    images = {
        c["image"]
        for o in objects
        for c in o.get("spec", {}).get("template", {}).get("spec", {}).get("containers", [])
    }
    assert all(i.startswith("registry.example.com/rapport:") for i in images)


def test_consumers_never_scale_past_their_partitions() -> None:
    sys.path.insert(0, str(DEPLOY / "kafka"))
    import create_topics

    reads = {
        "contact": ["scoring.scores", "scoring.programmes"],
        "complaints": ["scoring.scores", "contact.calls", "contact.customers"],
        "scoring": [
            "contact.calls",
            "commerce.transactions",
            "complaints.complaints",
            "contact.customers",
        ],
    }
    hpas = {
        o["metadata"]["name"]: o
        for o in render(DEPLOY / "k8s" / "base")
        if o["kind"] == "HorizontalPodAutoscaler"
    }
    for service, topics in reads.items():
        most = max(create_topics.TOPICS[t] for t in topics)
        assert hpas[service]["spec"]["maxReplicas"] <= most, service


def test_alert_rules_and_dashboard_use_series_the_services_export() -> None:
    known = _exported_metric_names()
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text())
    exprs: list[str] = []
    for group in rules["groups"]:
        assert group["name"] and group["rules"]
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}
            assert rule["alert"] and rule["labels"]["severity"] in ("page", "warn")
            assert rule["annotations"]["summary"]
            exprs.append(rule["expr"])
    alerts = {r["alert"] for g in rules["groups"] for r in g["rules"]}
    assert {
        "RapportOutboxBacklog",
        "RapportConsumerLag",
        "RapportDeadLetters",
        "RapportComplaintSlaBreaches",
    } <= alerts
    dashboard = json.loads((DEPLOY / "grafana" / "rapport-overview.json").read_text())
    assert dashboard["uid"] and dashboard["panels"]
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]
        exprs.extend(t["expr"] for t in panel["targets"])
    for expr in exprs:
        for name in re.findall(r"\brapport_[a-z_]+", expr):
            assert name in known, f"{name} is not exported: {expr}"


async def test_database_init_script_creates_a_database_per_service(
    postgres_server: str,
) -> None:
    plain = postgres_server.replace("postgresql+asyncpg://", "postgresql://", 1)
    suffix = uuid.uuid4().hex[:6]
    script = (DEPLOY / "postgres" / "init-databases.sql").read_text()
    # The same statements, on databases of this test's own, so the run leaves nothing behind.
    statements = [
        s.strip() + f"_{suffix}" for s in re.sub(r"--.*", "", script).split(";") if s.strip()
    ]
    conn = await asyncpg.connect(plain)
    try:
        for statement in statements:
            await conn.execute(statement)
        found = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
        assert {f"{s}_{suffix}" for s in SERVICES} <= found
    finally:
        for service in SERVICES:
            await conn.execute(f"DROP DATABASE IF EXISTS {service}_{suffix}")
        await conn.close()


async def test_topic_script_creates_every_topic_with_its_partitions(broker: str) -> None:
    prefix = f"d{uuid.uuid4().hex[:8]}."
    script = DEPLOY / "kafka" / "create_topics.py"
    run = [sys.executable, str(script), "--bootstrap", broker, "--prefix", prefix]
    first = await asyncio.to_thread(
        subprocess.run, run, capture_output=True, text=True, check=False, timeout=120
    )
    assert first.returncode == 0, first.stderr
    again = await asyncio.to_thread(
        subprocess.run, run, capture_output=True, text=True, check=False, timeout=120
    )
    assert again.returncode == 0 and "created 0 topics" in again.stdout
    sys.path.insert(0, str(DEPLOY / "kafka"))
    import create_topics

    admin = AIOKafkaAdminClient(bootstrap_servers=broker)
    await admin.start()
    try:
        described = await admin.describe_topics(list(create_topics.wanted(prefix)))
    finally:
        await admin.close()
    partitions = {t["topic"]: len(t["partitions"]) for t in described}
    assert partitions == create_topics.wanted(prefix)
