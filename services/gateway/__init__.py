"""API gateway: one door for agent desktops, CTI webhooks and internal services."""
