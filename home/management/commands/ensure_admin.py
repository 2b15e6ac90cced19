"""Create the local administrator account once.

Credentials come from DJANGO_SUPERUSER_USERNAME / _EMAIL / _PASSWORD; when no password
is given one is generated and printed once, at creation. An existing account is left
untouched, so running this again never resets a password.
"""

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the local admin account (from DJANGO_SUPERUSER_* or generated) if missing."

    def handle(self, *args, **options):
        User = get_user_model()
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME") or "admin"
        email = os.environ.get("DJANGO_SUPERUSER_EMAIL") or "admin@localhost"
        if User.objects.filter(username=username).exists():
            self.stdout.write(f"Admin account '{username}' already exists; left unchanged.")
            return
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email=email, password=password)
        self.stdout.write(self.style.SUCCESS(f"Admin account created: {username}"))
        if generated:
            self.stdout.write(
                self.style.WARNING(
                    f"Generated password (shown only this once): {password}\n"
                    "Set DJANGO_SUPERUSER_PASSWORD in .env to choose your own."
                )
            )
