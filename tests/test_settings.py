"""Production settings refuse to start without their secrets."""

import os
import subprocess
import sys

import pytest

CHECK = "import django; django.setup(); print('started')"


def start_with(environment):
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "EMAIL_URL"):
        env.pop(name, None)
    env.pop("WAGTAILADMIN_BASE_URL", None)
    env.update(DJANGO_SETTINGS_MODULE="portal.settings.production", **environment)
    return subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", CHECK], capture_output=True, text=True, env=env, check=False
    )


COMPLETE = {
    "SECRET_KEY": "x" * 50,
    "ALLOWED_HOSTS": "questions-numeriques.example.org",
    "DATABASE_URL": "postgres://portal@127.0.0.1:5432/portal",
    "EMAIL_URL": "smtp://127.0.0.1:25",
    "WAGTAILADMIN_BASE_URL": "https://questions-numeriques.example.org",
}


@pytest.mark.parametrize("missing", sorted(COMPLETE))
def test_production_refuses_to_start_without_each_required_variable(missing):
    result = start_with({k: v for k, v in COMPLETE.items() if k != missing})

    assert result.returncode != 0
    assert missing in result.stderr


def test_production_refuses_a_short_secret_key():
    result = start_with({**COMPLETE, "SECRET_KEY": "change-me"})

    assert result.returncode != 0
    assert "SECRET_KEY must be a long random value" in result.stderr


def test_production_starts_with_everything_set():
    result = start_with(COMPLETE)

    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout
