"""Entry point for uvicorn's factory mode: settings are read when a web process starts, not at import."""

from starlette.applications import Starlette

from hotline import passwords
from hotline.app import create_app
from hotline.logs import configure_logging
from hotline.settings import load_settings


def make_app() -> Starlette:
    settings = load_settings()
    configure_logging(settings.logging, "web")
    passwords.configure(settings.auth)
    return create_app(settings)
