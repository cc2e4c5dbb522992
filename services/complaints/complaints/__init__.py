"""The complaint record: filing, reading, listing and editing it, with ETags."""
