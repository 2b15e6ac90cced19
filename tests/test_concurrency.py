"""Races that real traffic produces: simultaneous sign-ups, simultaneous invoices.

They need a database that runs writers concurrently (PostgreSQL, as in CI and production);
SQLite serialises whole transactions, so there is no race to test there.
"""

import threading

from django.db import connection, connections

import pytest

from editions.models import EditionPage
from membership.models import Invoice, Partnership, Price, Tier
from membership.services import DuplicatePartnership, create_partnership

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="concurrent writers need PostgreSQL (set DATABASE_URL; CI does)",
    ),
]

SIGNUP = {
    "legal_name": "Région Sud",
    "address": "27 place Jules Guesde\n13002 Marseille",
    "country": "FR",
    "contact_name": "Lou Durand",
    "contact_role": "Chargée de mission",
    "contact_email": "lou.durand@maregionsud.fr",
    "contact_phone": "+33491575050",
    "billing_name": "Comptabilité",
    "billing_email": "compta@maregionsud.fr",
}


def run_together(count, target):
    """Start `count` threads, release them at once, collect results or exceptions."""
    barrier = threading.Barrier(count)
    results = []

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(target())
        except Exception as error:  # noqa: BLE001 - each outcome is inspected by the test
            results.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.fixture
def think_small(committed_content):
    edition = EditionPage.objects.get(locale__language_code="fr", start_year=2016)
    for tier, cents in ((Tier.ADHERENT, 2_000_000), (Tier.NON_MEMBER, 2_500_000)):
        Price.objects.get_or_create(edition=edition, tier=tier, defaults={"amount_cents": cents})
    return edition


def test_twenty_simultaneous_sign_ups_create_one_partnership(think_small):
    results = run_together(20, lambda: create_partnership(think_small, SIGNUP, language="fr"))

    created = [r for r in results if isinstance(r, Partnership)]
    refused = [r for r in results if isinstance(r, DuplicatePartnership)]
    assert len(created) == 1
    assert len(refused) == 19
    assert Partnership.objects.filter(edition=think_small).count() == 1


def test_invoice_numbers_have_no_gaps_under_concurrent_creation(think_small):
    partnerships = [
        create_partnership(
            think_small, {**SIGNUP, "legal_name": f"Organisation {n}"}, language="fr"
        )
        for n in range(12)
    ]
    queue = list(partnerships)
    lock = threading.Lock()

    def issue_one():
        with lock:
            partnership = queue.pop()
        return Invoice.issue(partnership)

    results = run_together(12, issue_one)

    assert all(isinstance(r, Invoice) for r in results), results
    sequences = sorted(Invoice.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, 13))
    assert len(set(Invoice.objects.values_list("number", flat=True))) == 12
