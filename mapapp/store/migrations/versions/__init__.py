"""Schema revisions, oldest first: each file upgrades the one before it."""
