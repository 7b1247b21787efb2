"""Production mode: the gunicorn server, copying a database to PostgreSQL, and their commands."""
