"""Install and start Accord on its embedded default: SQLite, a file-system Celery broker,
e-mail to the console, demo data. Runs the web server, a Celery worker and beat until Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from agreements.demo import load_demo_legal, load_demo_partners, load_demo_users
from checklists.demo import load_demo_assessments, load_demo_gap_reports
from config.reminders.scan import scan


class Command(BaseCommand):
    help = "Migrate, load demo data and users, then run the web server, a worker and beat."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help="Set up the database and demo data, print the logins, and stop.",
        )

    def handle(self, *args: Any, host: str, port: int, no_serve: bool, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        logins = load_demo_users()
        created = load_demo_partners()
        legal = load_demo_legal(today=timezone.localdate())
        call_command("load_checklist_templates", stdout=self.stdout)
        legal["assessments"] = load_demo_assessments(today=timezone.localdate())
        legal["gap reports"] = load_demo_gap_reports(today=timezone.localdate())
        # Today's reminders armed at once, as the first scheduled scan would arm them: each
        # persona's inbox holds what their desk shows; the worker's sweeper mails them.
        legal["reminders armed"] = scan(as_of=timezone.localdate()).armed
        added = ", ".join(f"{count} {name}" for name, count in legal.items())
        self.stdout.write(
            self.style.SUCCESS(f"Database ready ({created} demo partners added; {added}).")
        )
        base = f"http://{host}:{port}"
        self.stdout.write("")
        self.stdout.write(
            self.style.MIGRATE_HEADING(f"Accord at {base}/  (API docs: {base}/api/docs/)")
        )
        self.stdout.write(f"  {'username':<17} {'password':<18} role")
        for login in logins:
            self.stdout.write(
                f"  {login.username:<17} {login.password:<18} {login.role} ({login.name})"
            )
        self.stdout.write("")
        if no_serve:
            return
        self._serve(host, port)

    def _serve(self, host: str, port: int) -> None:
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--hostname=accord-embedded@%h",
            ],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--loglevel=INFO",
                "--pidfile=",
                f"--schedule={settings.CELERY_BEAT_SCHEDULE_FILENAME}",
            ],
        }
        processes = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
        self.stdout.write("Web server, Celery worker and beat running. Press Ctrl-C to stop.")
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(f"{name} stopped (exit {process.returncode}); stopping.")
                        stopping = True
                time.sleep(0.5)
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 10
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
            self.stdout.write("Stopped.")
