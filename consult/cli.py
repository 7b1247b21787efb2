"""The ``consult`` console script: Flask's command group bound to this application."""

from flask.cli import FlaskGroup

from consult import create_app


def main() -> None:
    FlaskGroup(create_app=lambda: create_app(), help="Consult: run, migrate and manage.")()
