"""Create Rapport's topics with their partition counts before the services start.

    python create_topics.py --bootstrap kafka:9092 [--prefix staging.] [--replication 3]

The partition count of a topic is the most consumer replicas that can share its load (one
partition per replica at most), so consumers that must scale get more partitions. Existing
topics are left alone (partitions can be added later with kafka-topics.sh --alter; never
fewer). Dead-letter topics get one partition: they are read by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

# topic -> partitions. Keep in step with deploy/k8s (consumer HPA maxReplicas <= partitions).
TOPICS = {
    "contact.calls": 6,
    "contact.customers": 3,
    "complaints.complaints": 3,
    "scoring.scores": 6,
    "scoring.programmes": 3,
    "commerce.transactions": 6,
}
CONSUMER_GROUPS = (
    "contact.scoring-events",
    "complaints.scores",
    "complaints.contacts",
    "complaints.customer-events",
    "scoring.contact-events",
    "scoring.commerce-events",
    "scoring.complaint-events",
    "scoring.customer-events",
)
DEAD_LETTER_PARTITIONS = 1


def wanted(prefix: str = "") -> dict[str, int]:
    """Every topic with its partition count, after the prefix."""
    topics = {prefix + t: n for t, n in TOPICS.items()}
    topics.update({f"{prefix}{g}.dlq": DEAD_LETTER_PARTITIONS for g in CONSUMER_GROUPS})
    return topics


async def create(bootstrap: str, prefix: str = "", replication: int = 1) -> list[str]:
    """Create the missing topics; return the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = {t: n for t, n in wanted(prefix).items() if t not in existing}
        if missing:
            await admin.create_topics(
                [
                    NewTopic(t, num_partitions=n, replication_factor=replication)
                    for t, n in missing.items()
                ]
            )
        return sorted(missing)
    finally:
        await admin.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--prefix", default="")
    parser.add_argument("--replication", type=int, default=1)
    args = parser.parse_args(argv)
    created = asyncio.run(create(args.bootstrap, args.prefix, args.replication))
    print(f"created {len(created)} topics: {', '.join(created) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
