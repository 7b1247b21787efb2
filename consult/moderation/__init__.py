"""Moderation by the Support Unit: accept or reject statements before (or while) they are shown."""
