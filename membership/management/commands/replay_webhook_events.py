"""Process stored Stripe events again: `replay_webhook_events --status unmatched`, or by id."""

from django.core.management.base import BaseCommand, CommandError

from membership.models import WebhookEvent
from membership.payments.handlers import replay


class Command(BaseCommand):
    help = (
        "Process stored Stripe webhook events again (handlers are idempotent, so replaying "
        "is safe). Select events by status, by id (database id or Stripe evt_… id), or both."
    )

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", help="WebhookEvent ids or Stripe event ids (evt_…)")
        parser.add_argument(
            "--status",
            choices=WebhookEvent.Status.values,
            help="Replay the events in this state (e.g. unmatched, failed)",
        )

    def handle(self, *args, ids, status, **options):
        if not ids and not status:
            raise CommandError("Give event ids, --status, or both.")
        events = WebhookEvent.objects.order_by("received_at", "pk")
        if status:
            events = events.filter(status=status)
        if ids:
            pks = [int(value) for value in ids if value.isdigit()]
            stripe_ids = [value for value in ids if not value.isdigit()]
            events = events.filter(pk__in=pks) | events.filter(stripe_id__in=stripe_ids)
            found = {str(e.pk) for e in events} | {e.stripe_id for e in events}
            missing = [value for value in ids if value not in found]
            if missing:
                raise CommandError(f"No such event: {', '.join(missing)}")
        count = 0
        for event in events:
            before = event.status
            event = replay(event)
            count += 1
            line = f"{event.stripe_id} {event.type}: {before} → {event.status}"
            if event.partnership_id:
                line += f" ({event.partnership.reference})"
            if event.error:
                line += f" — {event.error}"
            self.stdout.write(line)
        self.stdout.write(f"{count} event(s) replayed.")
