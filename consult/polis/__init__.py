"""Pol.is compatibility: import a Pol.is export into a phase, export a phase as Pol.is CSVs."""
