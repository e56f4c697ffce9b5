"""``python manage.py unlock_signin``: lift the sign-in throttle on an address or an account."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core import signin_throttle


class Command(BaseCommand):
    help = (
        "Forget the failed sign-ins counted against an address (password spraying) or a username "
        "(a distributed guess) by the sign-in throttle. A username+address pair locked by axes is "
        "unlocked in the admin (Axes > Access attempts)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--address", help="client address, as recorded in Axes > Access attempts")
        parser.add_argument("--username")

    def handle(self, *args, address: str | None, username: str | None, **options):
        if not (address or username):
            raise CommandError("Give --address, --username or both.")
        signin_throttle.unlock(address=address, username=username)
        self.stdout.write(self.style.SUCCESS("Unlocked."))
