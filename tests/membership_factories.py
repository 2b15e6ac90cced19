"""Partnerships for tests, in any state, reached through membership.services like in real life."""

import itertools
from decimal import Decimal

from django.utils import timezone

from editions.models import EditionPage
from membership import services
from membership.models import Partnership, PartnershipState, PaymentMethod, Tier

_numbers = itertools.count(1)


def think_small():
    """The Think Small edition (2016-2017), in French: partnerships point at the source page."""
    return EditionPage.objects.get(locale__language_code="fr", start_year=2016)


def make_partnership(edition=None, state=PartnershipState.DRAFT, **fields):
    """A partnership of a new organisation, brought to `state` through the services.

    "awaiting_payment" pays by transfer when `payment_method="transfer"` is given (an invoice
    is issued), else waits for a card payment; "paid" and "refunded" go through mark_paid.
    E-mails triggered on commit only go out when the test captures the on_commit callbacks.
    """
    number = next(_numbers)
    values = {
        "edition": edition or think_small(),
        "language": "fr",
        "legal_name": f"Organisation de test {number}",
        "address": "12 rue de l'Exemple\n75011 Paris",
        "country": "FR",
        "registration_number": "",
        "contact_name": "Camille Martin",
        "contact_role": "Directrice de l'innovation",
        "contact_email": f"contact{number}@example.org",
        "contact_phone": "+33 1 23 45 67 89",
        "billing_name": "Service comptable",
        "billing_email": f"compta{number}@example.org",
        "purchase_order": "",
        "terms_accepted_at": timezone.now(),
        "tier": Tier.NON_MEMBER,
        "amount_cents": 2_500_000,
        "vat_rate": Decimal("20.00"),
        "prices_include_vat": False,
    }
    values.update(fields)
    partnership = Partnership.objects.create(**values)
    state = PartnershipState(state)
    if state == PartnershipState.DRAFT:
        return partnership
    if state == PartnershipState.CANCELLED:
        services.cancel(partnership, "Test")
        return Partnership.objects.get(pk=partnership.pk)
    if partnership.payment_method == PaymentMethod.TRANSFER:
        services.choose_bank_transfer(partnership)
    else:
        services.await_online_payment(partnership, partnership.payment_method or PaymentMethod.CARD)
    if state in (PartnershipState.PAID, PartnershipState.REFUNDED):
        services.mark_paid(partnership, "Test : paiement reçu")
    if state == PartnershipState.REFUNDED:
        services.mark_refunded(partnership, "Test : remboursement")
    return Partnership.objects.get(pk=partnership.pk)
