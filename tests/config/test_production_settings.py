from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "p" * 20 + "-a-random-production-secret-of-enough-length-0123456789",
    "DJANGO_ALLOWED_HOSTS": "accord.example.org",
    "DATABASE_URL": "postgres://accord:secret@db.example.org:5432/accord",
    "CELERY_BROKER_URL": "redis://redis.example.org:6379/0",
    "ACCORD_SMTP_HOST": "smtp.example.org",
    "ACCORD_BASE_URL": "https://accord.example.org",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "ACCORD_SMTP", "ACCORD_BASE_URL"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_deploy_check_reports_nothing_with_production_settings() -> None:
    result = manage("check", "--deploy", "--fail-level", "DEBUG", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_the_deploy_check_insists_on_real_e_mail_in_production() -> None:
    env = {**PRODUCTION, "ACCORD_SMTP_HOST": ""}
    result = manage("check", "--deploy", env=env)
    assert result.returncode != 0
    assert "development-only email backend" in result.stderr


def test_production_refuses_to_start_without_a_secret_key() -> None:
    env = {**PRODUCTION, "DJANGO_SECRET_KEY": ""}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


def test_a_misspelt_boolean_stops_start_up_with_its_name() -> None:
    result = manage("check", env={**PRODUCTION, "DJANGO_DEBUG": "fasle"})
    assert result.returncode != 0
    assert "DJANGO_DEBUG='fasle' is not a boolean" in result.stderr


def test_production_refuses_to_start_without_the_address_links_in_e_mails_point_to() -> None:
    for value, message in [
        ("", "ACCORD_BASE_URL is required"),
        ("accord.example.org", "ACCORD_BASE_URL='accord.example.org' is not an absolute"),
    ]:
        result = manage("check", env={**PRODUCTION, "ACCORD_BASE_URL": value})
        assert result.returncode != 0
        assert message in result.stderr, result.stderr[-500:]
