"""Participation: participants, their statements and their votes."""
