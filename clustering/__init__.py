"""Pure analysis for Consult: opinion groups (Pol.is math) and themes (sentence embeddings).

This package never imports Flask, SQLAlchemy or ``consult``; it takes plain arrays and returns
frozen dataclasses that serialise to JSON. Run it alone with ``python -m clustering --help``.
"""
