"""The Celery application and the whole beat schedule, in code.

django-celery-beat does not support Django 6.1, and schedules that users edit (reminder rules,
report subscriptions) are rows of Accord's own models which the periodic tasks read, so the
fixed cadence of the periodic tasks themselves lives here.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("accord")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Lets operators (and the health page) see that a worker and beat are alive.
    "worker-heartbeat": {
        "task": "config.tasks.record_heartbeat",
        "schedule": crontab(minute="*"),
    },
    # Signed agreements enter into force on their effective date; past expiry they expire
    # or auto-renew. Early in the day, so the day's pages and reminders see the new state.
    "agreement-lifecycle": {
        "task": "agreements.tasks.lifecycle_sweep",
        "schedule": crontab(hour=0, minute=30),
    },
    # An import whose worker stopped is marked failed (never `running` for ever); a queued one
    # whose message was lost is sent again.
    "agreement-import-sweep": {
        "task": "agreements.tasks.import_sweep",
        "schedule": crontab(minute="*/5"),
    },
    # Reminders: the scan arms what is due and fans out the e-mails, several times a day so a
    # date entered in the morning is reminded the same day; after the lifecycle step.
    "reminder-scan": {
        "task": "config.reminders.scan",
        "schedule": crontab(hour="5,11,17", minute=0),
    },
    # Each digest reader's day in one e-mail, after the morning scan.
    "reminder-digest": {
        "task": "config.reminders.digest",
        "schedule": crontab(hour=7, minute=0),
    },
    # Pending reminders nobody holds (a message lost with Redis, a worker killed, a back-off
    # over) are sent again; the ledger's claims keep it exactly-once.
    "reminder-sweep": {
        "task": "config.reminders.sweep",
        "schedule": crontab(minute="*/5"),
    },
    # The weekly portfolio gap report (Monday morning); a repeated or missed run yields one
    # edition per ISO week (a unique constraint).
    "gap-report-weekly": {
        "task": "checklists.tasks.weekly_gap_report",
        "schedule": crontab(day_of_week="mon", hour=5, minute=0),
    },
    # A gap report whose worker stopped is marked failed; a queued one whose message was lost
    # is sent again.
    "gap-report-sweep": {
        "task": "checklists.tasks.gap_report_sweep",
        "schedule": crontab(minute="*/5"),
    },
}
