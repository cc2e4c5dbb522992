"""The live stream: each signed-in person gets the events that concern them, as they happen."""
