"""Alerts against a local receiver: a failed SLO check or a failed run posts one Slack-compatible
message when its breach starts and one when it ends, never once per tick; a receiver that fails gets
the same message again next tick and nothing is skipped; the webhook URL appears nowhere."""

import json
import sys
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest

from contest_pipelines.assets.slo_checks import no_dead_letters
from contest_pipelines.db.tables import sync_requests
from contest_pipelines.resources import AlertWebhookResource, PostgresResource
from contest_pipelines.sensors.alert_sensor import alert_sensor
from tests.factories import load, room_fixture


class Receiver(ThreadingHTTPServer):
    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.bodies: list[dict] = []
        self.status = 200
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/services/T000/B000/s3cr3t-token"


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.server.status == 200:
            self.server.bodies.append(body)
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


@dg.op
def flaky(context: dg.OpExecutionContext) -> None:
    if context.run.tags.get("fail") == "yes":
        raise RuntimeError("the judge answered 503")


@dg.job
def flaky_job():
    flaky()


SLO_JOB = dg.define_asset_job("slo", selection=dg.AssetSelection.checks(no_dead_letters))


def definitions(env=None) -> dg.Definitions:
    resources = {"postgres": PostgresResource(database_url=env["DATABASE_URL"] if env else "unused")}
    return dg.Definitions(assets=[dg.AssetSpec("sync_requests")], asset_checks=[no_dead_letters], jobs=[SLO_JOB],
                          resources=resources)  # fmt: skip


def run_checks(instance, env) -> None:
    definitions(env).resolve_job_def("slo").execute_in_process(instance=instance, raise_on_error=False)


def tick(instance, receiver, cursor):
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, definitions=definitions(),
        resources={"alert_webhook": AlertWebhookResource(url=receiver.url)},
    )  # fmt: skip
    result = alert_sensor(context)
    return context.cursor, result


def dead(db, n: int) -> None:
    with db.begin() as conn:
        conn.execute(sync_requests.delete())
        if n:
            conn.execute(sync_requests.insert(), [
                {"room_id": "room-1", "user_id": "u1", "cf_handle": "tourist", "problem_id": f"{1800 + i}A",
                 "status": "dead", "finished_at": datetime.now(UTC)} for i in range(n)])  # fmt: skip


def test_a_breach_alerts_once_and_its_end_once(db, env, instance, receiver):
    load(db, room_fixture())
    cursor, first = tick(instance, receiver, None)  # alerts start from now
    assert "from now" in first.skip_message and receiver.bodies == []
    dead(db, 2)
    for _ in range(3):  # three evaluations of a breach, three sensor ticks: one message
        run_checks(instance, env)
        cursor, _ = tick(instance, receiver, cursor)
    [breach] = receiver.bodies
    assert breach["text"].startswith(":rotating_light: BREACHED: sync_requests/no_dead_letters: 2 dead sync requests")
    assert breach["alert"]["change"] == "breach" and breach["blocks"][0]["type"] == "section"
    dead(db, 0)
    run_checks(instance, env)
    run_checks(instance, env)
    cursor, _ = tick(instance, receiver, cursor)
    assert [b["alert"]["change"] for b in receiver.bodies] == ["breach", "recovered"]
    assert receiver.bodies[1]["alert"]["detail"] == "no dead sync requests"
    sys.stdout.write("".join(f"receiver got: {json.dumps(b['alert'])}\n" for b in receiver.bodies))  # the transcript


def test_failed_runs_alert_once_per_job_until_it_succeeds(instance, receiver):
    cursor, _ = tick(instance, receiver, None)
    for _ in range(2):
        flaky_job.execute_in_process(instance=instance, tags={"fail": "yes"}, raise_on_error=False)
    cursor, _ = tick(instance, receiver, cursor)
    flaky_job.execute_in_process(instance=instance)
    cursor, _ = tick(instance, receiver, cursor)
    assert [(b["alert"]["change"], b["alert"]["subject"]) for b in receiver.bodies] == [
        ("breach", "job flaky_job"), ("recovered", "job flaky_job")]  # fmt: skip
    assert "RuntimeError" in receiver.bodies[0]["alert"]["detail"] or "flaky" in receiver.bodies[0]["alert"]["detail"]


def test_a_receiver_that_fails_gets_the_message_next_tick_and_the_url_stays_secret(instance, receiver):
    cursor, _ = tick(instance, receiver, None)
    flaky_job.execute_in_process(instance=instance, tags={"fail": "yes"}, raise_on_error=False)
    receiver.status = 500
    cursor, result = tick(instance, receiver, cursor)
    assert "HTTP 500" in result.skip_message and "s3cr3t" not in result.skip_message and receiver.bodies == []
    receiver.status = 200
    cursor, _ = tick(instance, receiver, cursor)
    cursor, _ = tick(instance, receiver, cursor)
    assert [b["alert"]["change"] for b in receiver.bodies] == ["breach"]
    assert "s3cr3t" not in json.dumps(receiver.bodies)


def test_unconfigured_alerts_skip_and_say_so(instance):
    context = dg.build_sensor_context(instance=instance, resources={"alert_webhook": AlertWebhookResource()})
    assert alert_sensor(context).skip_message.startswith("ALERT_WEBHOOK_URL is not set")
