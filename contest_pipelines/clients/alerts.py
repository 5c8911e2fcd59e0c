"""The alert webhook (ALERT_WEBHOOK_URL: Slack's incoming webhook or any JSON receiver). The URL is a
secret (Slack's carries its token): no error or log line names it."""

import httpx


class AlertDeliveryError(Exception):
    pass


def post_alert(url: str, body: dict, timeout_seconds: float = 10.0) -> None:
    try:
        response = httpx.post(url, json=body, timeout=timeout_seconds)
    except httpx.HTTPError as exc:
        raise AlertDeliveryError(f"alert webhook unreachable: {type(exc).__name__}") from None
    if response.status_code >= 300:
        raise AlertDeliveryError(f"alert webhook answered HTTP {response.status_code}")
