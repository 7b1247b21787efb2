"""Opinion analysis of a phase: recompute jobs and the immutable snapshots they store."""
