"""Alert webhook resource (ALERT_WEBHOOK_URL, read at run time: the UI shows the variable's name only)."""

import dagster as dg

from contest_pipelines.clients.alerts import AlertDeliveryError, post_alert

__all__ = ["AlertDeliveryError", "AlertWebhookResource"]


class AlertWebhookResource(dg.ConfigurableResource):
    url: str = ""  # empty: alerts are not sent (the alert sensor skips and says so)
    ui_url: str = ""  # the Dagster UI, for links in the messages (DAGSTER_WEBSERVER_URL)

    @property
    def configured(self) -> bool:
        return bool(self.url)

    def post(self, body: dict) -> None:
        post_alert(self.url, body)
