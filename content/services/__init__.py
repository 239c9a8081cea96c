"""Writes of the content app: `sections` (each section's stored HTML and the cache's
content version) and `revisions` (drafts, reviews and publishing of whole pages)."""
