"""Demo data written by us: a partnership's strategy co-creation with simulated participation."""
