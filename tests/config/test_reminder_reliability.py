"""Reminders survive what production does to them: two workers at once, a worker killed with
SIGKILL mid-delivery, Redis restarted without persistence. Real worker processes, a dedicated
redis-server and an SMTP server on 127.0.0.1 that counts Message-IDs; each assertion reports
due / sent / duplicates / lost. They run in CI's PostgreSQL + Redis pass."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from config.celery import app as celery_app
from config.reminders.models import Reminder
from config.reminders.rules import ensure_default_rules
from config.reminders.tasks import scan_reminders, sweep_reminders
from tests.config.smtp_sink import Sink, free_port, smtp_sink
from tests.config.test_celery_worker import _database_url, fresh_connections
from tests.config.test_reminder_scan import _agreement, _only_expiry_rule

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2027, 1, 4)
DUE = 8

pytestmark = [pytest.mark.celery_worker, pytest.mark.postgresql_only]


@contextmanager
def _redis(tmp_path: Path, port: int) -> Iterator[str]:
    """A redis-server of the test's own, without persistence: stopping it loses its queue."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.kill()
        server.wait(timeout=10)


class Cluster:
    """Worker processes on one broker, sending mail to one SMTP port."""

    def __init__(self, tmp_path: Path, broker: str, smtp_port: int) -> None:
        self.tmp_path = tmp_path
        self.broker = broker
        self.env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "DATABASE_CONN_MAX_AGE": "0",
            "CELERY_BROKER_URL": broker,
            "CELERY_VISIBILITY_TIMEOUT": "5",
            "ACCORD_VAR_DIR": str(tmp_path),
            "ACCORD_SMTP_HOST": "127.0.0.1",
            "ACCORD_SMTP_PORT": str(smtp_port),
            "ACCORD_SMTP_USE_TLS": "false",
            "ACCORD_SMTP_TIMEOUT": "10",
            "ACCORD_REMINDER_CLAIM_SECONDS": "3",
        }
        self.workers: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, concurrency: int = 2) -> subprocess.Popen[bytes]:
        log = (self.tmp_path / f"{name}.log").open("ab")
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=prefork",
             f"--concurrency={concurrency}", "--loglevel=INFO", "--without-gossip",
             "--without-mingle", "--without-heartbeat", "-n", f"{name}@%h"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.workers.append(worker)
        return worker

    def kill(self, worker: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        """The whole process group, as a machine that dies takes the pool's children too."""
        try:
            os.killpg(worker.pid, sig)
        except ProcessLookupError:
            return
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)

    def stop_all(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                self.kill(worker, signal.SIGTERM)

    def logs(self) -> str:
        return "\n".join(path.read_text()[-3000:] for path in self.tmp_path.glob("*.log"))


@pytest.fixture
def cluster(
    transactional_db: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Cluster]]:
    """Builds a Cluster; the test process sends tasks through the same broker."""
    previous = (
        celery_app.conf.broker_url,
        dict(celery_app.conf.broker_transport_options or {}),
        celery_app.conf.task_always_eager,
    )
    made: list[Cluster] = []

    def make(broker: str, smtp_port: int) -> Cluster:
        # Celery reads CELERY_BROKER_URL from the environment before its own settings.
        monkeypatch.setenv("CELERY_BROKER_URL", broker)
        celery_app.conf.broker_url = broker
        celery_app.conf.broker_transport_options = {"visibility_timeout": 5}
        celery_app.conf.task_always_eager = False
        fresh_connections()
        made.append(Cluster(tmp_path, broker, smtp_port))
        return made[-1]

    try:
        yield make
    finally:
        for built in made:
            built.stop_all()
        (
            celery_app.conf.broker_url,
            celery_app.conf.broker_transport_options,
            celery_app.conf.task_always_eager,
        ) = previous
        fresh_connections()


def _due_agreements(personas) -> None:
    ensure_default_rules()
    _only_expiry_rule(recipients=["owner"])
    for number in range(DUE):
        _agreement(
            personas,
            expires_on=TODAY + timedelta(days=30),
            reference=f"SR-REL-2027-{number:03d}",
        )


def _statuses() -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in Reminder.objects.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def _wait(condition: Callable[[], bool], cluster: Cluster, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return condition()


def _all_sent() -> bool:
    return Reminder.objects.filter(status=Reminder.Status.SENT).count() == DUE


def _report(sink: Sink) -> str:
    return f"{sink.report(due=DUE)}; ledger {_statuses()}"


def _check_once(sink: Sink, cluster: Cluster) -> None:
    sent_ids = set(Reminder.objects.values_list("message_id", flat=True))
    assert _all_sent(), f"{_report(sink)}\n{cluster.logs()}"
    assert set(sink.counts) == sent_ids and len(sent_ids) == DUE, _report(sink)


def test_two_workers_running_the_scan_twice_send_each_reminder_once(
    personas, cluster, tmp_path
) -> None:
    _due_agreements(personas)
    sink = Sink()
    with smtp_sink(sink) as smtp, _redis(tmp_path, free_port()) as broker:
        workers = cluster(broker, smtp)
        workers.start("one")
        workers.start("two")
        for _ in range(2):
            scan_reminders.delay(TODAY.isoformat())
            scan_reminders.delay(TODAY.isoformat())
        _wait(_all_sent, workers, 40)
        time.sleep(1)  # a duplicate would arrive by now
        _check_once(sink, workers)
        assert len(sink.received) == DUE, _report(sink)


def test_a_worker_killed_while_delivering_leaves_nothing_unsent_after_restart(
    personas, cluster, tmp_path
) -> None:
    _due_agreements(personas)
    sink = Sink(delay=0.4)  # a slow SMTP server: the kill lands mid-delivery
    with smtp_sink(sink) as smtp, _redis(tmp_path, free_port()) as broker:
        workers = cluster(broker, smtp)
        first = workers.start("doomed", concurrency=1)
        scan_reminders.delay(TODAY.isoformat())
        assert _wait(lambda: len(sink.received) >= 2, workers, 30), workers.logs()
        workers.kill(first)
        interrupted = _statuses()
        assert interrupted.get("pending", 0) > 0, f"killed too late: {_report(sink)}"
        workers.start("restarted")
        # Beat's sweeper every few minutes; here every second, after the dead claims expire.
        deadline = time.monotonic() + 40
        while not _all_sent() and time.monotonic() < deadline:
            sweep_reminders.delay((timezone.now() + timedelta(minutes=3)).isoformat())
            time.sleep(1)
        time.sleep(1)
        _check_once(sink, workers)
        # A message accepted in the instant before the kill is sent again under its own
        # Message-ID (the receiver sees a resend); no reminder is sent under two.
        resent = sum(n - 1 for n in sink.counts.values())
        assert resent <= 1, f"{_report(sink)} (interrupted at {interrupted})"


def test_redis_restarted_without_persistence_loses_nothing_and_doubles_nothing(
    personas, cluster, tmp_path
) -> None:
    _due_agreements(personas)
    sink = Sink()
    port = free_port()
    with smtp_sink(sink) as smtp:
        with _redis(tmp_path, port) as broker:
            workers = cluster(broker, smtp)
            # The scan fans out its deliveries into the queue; no worker has taken them yet.
            scan_reminders.run(TODAY.isoformat())
        fresh_connections()
        with _redis(tmp_path, port):  # the same address, an empty queue
            workers.start("after-restart")
            time.sleep(3)
            lost = Reminder.objects.filter(status=Reminder.Status.PENDING).count()
            assert (lost, sink.received) == (DUE, []), f"queued messages survived? {_report(sink)}"
            for _ in range(2):  # two sweeps: the second finds nothing left to send
                sweep_reminders.delay((timezone.now() + timedelta(minutes=3)).isoformat())
            _wait(_all_sent, workers, 40)
            time.sleep(1)
            _check_once(sink, workers)
            assert len(sink.received) == DUE, _report(sink)
