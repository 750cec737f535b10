"""A real Celery round trip: a worker process started here runs a task sent through the broker
the settings name (Redis in CI's PostgreSQL pass, the file-system broker on the embedded default)
and its effect is visible in the database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from kombu import pools as kombu_pools

from config.celery import app as celery_app
from config.models import WorkerHeartbeat
from config.tasks import record_heartbeat

ROOT = Path(__file__).resolve().parents[2]


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def fresh_connections() -> None:
    """Close the test process's broker connections and drop the closed pools, so the next
    send opens a connection to the broker configured now."""
    celery_app.pool.force_close_all()
    kombu_pools.reset()  # producer pools are kept per broker address, process-wide
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def worker(transactional_db: None, tmp_path: Path) -> Iterator[subprocess.Popen]:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "ACCORD_VAR_DIR": str(tmp_path),
    }
    previous_options = dict(celery_app.conf.broker_transport_options or {})
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        # The worker gets its own queue folders (under ACCORD_VAR_DIR); send to the same ones.
        queue = str(tmp_path / "celery" / "queue")
        celery_app.conf.broker_transport_options = {
            **previous_options,
            "data_folder_in": queue,
            "data_folder_out": queue,
            "processed_folder": str(tmp_path / "celery" / "processed"),
            "control_folder": str(tmp_path / "celery" / "control"),
        }
        for folder in ("queue", "processed", "control"):
            (tmp_path / "celery" / folder).mkdir(parents=True, exist_ok=True)
    celery_app.conf.task_always_eager = False
    # Connections pooled by earlier tests carry the old options: start from fresh ones.
    celery_app.pool.force_close_all()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        celery_app.conf.broker_transport_options = previous_options
        # Drop the broker connection the test opened, so the next test starts clean (a closed
        # pool left behind fails every later send, eager ones too: they acquire a producer).
        fresh_connections()


@pytest.mark.celery_worker
def test_a_worker_process_runs_a_task_sent_through_the_broker(worker) -> None:
    as_of = datetime(2026, 1, 5, 6, 30, tzinfo=UTC)
    with celery_app.connection_for_write() as connection:
        record_heartbeat.apply_async(kwargs={"as_of": as_of.isoformat()}, connection=connection)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if WorkerHeartbeat.objects.filter(beat_at=as_of).exists():
            break
        if worker.poll() is not None:
            pytest.fail(f"the worker exited early:\n{worker.stdout.read()}")
        time.sleep(0.2)
    else:
        worker.terminate()
        pytest.fail(f"the task never ran; worker output:\n{worker.communicate(timeout=15)[0]}")
    heartbeat = WorkerHeartbeat.objects.get(beat_at=as_of)
    assert heartbeat.seen_at > as_of
