"""Consensus maps for the Steering Committee: opinion map, common ground, divides, phases."""
