"""httpx clients for the external APIs; each is the only module that talks to its service."""

import logging


def quiet_http_logs() -> None:
    """httpx logs every request URL at INFO; vendor URLs can carry tenant keys, so keep it at WARNING."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
