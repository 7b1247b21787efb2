"""Consultations and their phases: what is being asked, and when input is open."""
