"""The WSGI entry point for gunicorn and other servers: the only module-level app."""

from hts import create_app

app = create_app()
