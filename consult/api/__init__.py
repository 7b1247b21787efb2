"""JSON API under /api/v1 for embeds and scripts, described by an OpenAPI document."""
