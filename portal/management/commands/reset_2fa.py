"""Delete a user's two-factor devices (a lost or replaced phone).

    manage.py reset_2fa USERNAME

The user's open sessions lose their verification at once, and their next visit to the admin
asks them to enrol a new authenticator app. If the phone was stolen, change their password
too: until they enrol again, whoever has the password could enrol a device of their own.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from django_otp import devices_for_user


class Command(BaseCommand):
    help = "Delete every two-factor device of USERNAME, who will enrol again at next sign-in."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        devices = list(devices_for_user(user, confirmed=None))
        for device in devices:
            device.delete()
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(devices)} two-factor device(s) deleted for {username}: "
                "they will enrol a new one at their next sign-in to the admin."
            )
        )
