"""The app factory ``uvicorn --factory _feed_app:app --workers N`` serves for ``bench feed``."""

from fastapi import FastAPI

from laotie.api import create_app
from laotie.api.process import prepare_for_serving
from laotie.core.settings import load_settings
from laotie.wiring import build_services


def app() -> FastAPI:
    """The laotie API on the home named by ``LAOTIE_HOME``, its feed model loaded up front."""
    services = build_services(load_settings())
    services.feed.served.version  # noqa: B018 - loads the serving state before the first request
    app = create_app(services)
    prepare_for_serving()  # as `laotie serve` does
    return app
