"""What happens to a partnership, in one place: its price, its creation, its payment.

Views, webhook handlers, admin actions and commands call these functions; none of them
changes a partnership's state directly. Every function is safe to call twice.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import (
    Adherent,
    Invoice,
    Partnership,
    PartnershipState,
    PaymentMethod,
    Price,
    Tier,
)


class PriceNotSet(Exception):
    """No price is configured for this edition and tier: sign-up is closed."""


class DuplicatePartnership(Exception):
    """This organisation already has a partnership for this edition."""

    def __init__(self, existing):
        super().__init__(f"{existing.legal_name} already partners {existing.edition}")
        self.existing = existing


@dataclass(frozen=True)
class PriceDecision:
    tier: str
    amount_cents: int
    adherent: Adherent | None


def decide_price(edition, membership_number, email, day=None) -> PriceDecision:
    """The tier and amount for this sign-up, from the registry and the edition's prices."""
    adherent = Adherent.objects.matching(membership_number, email, day)
    tier = Tier.ADHERENT if adherent else Tier.NON_MEMBER
    price = Price.for_edition(edition, tier)
    if price is None:
        raise PriceNotSet(f"No {tier} price for {edition}")
    return PriceDecision(tier=tier, amount_cents=price.amount_cents, adherent=adherent)


def find_duplicate(edition, legal_name):
    from .models.partnership import organisation_key

    return (
        Partnership.objects.filter(
            edition__translation_key=edition.translation_key,
            organisation_key=organisation_key(legal_name),
        )
        .exclude(state=PartnershipState.CANCELLED)
        .first()
    )


def create_partnership(edition, data: dict, language: str) -> Partnership:
    """Create a partnership in state "draft" from validated form `data`.

    The tier and the amount are decided here, never taken from `data`. Raises
    DuplicatePartnership when the organisation already signed up for the edition (also
    under concurrent sign-ups: the database's unique constraint decides), PriceNotSet.
    """
    edition = _source_edition(edition)
    decision = decide_price(edition, data.get("membership_number", ""), data["contact_email"])
    fields = {
        name: data.get(name, "")
        for name in (
            "legal_name",
            "address",
            "country",
            "registration_number",
            "contact_name",
            "contact_role",
            "contact_email",
            "contact_phone",
            "membership_number",
            "billing_name",
            "billing_email",
            "purchase_order",
        )
    }
    try:
        with transaction.atomic():
            return Partnership.objects.create(
                edition=edition,
                language=language,
                terms_accepted_at=timezone.now(),
                tier=decision.tier,
                adherent=decision.adherent,
                amount_cents=decision.amount_cents,
                vat_rate=settings.MEMBERSHIP_VAT_RATE,
                prices_include_vat=settings.MEMBERSHIP_PRICES_INCLUDE_VAT,
                **fields,
            )
    except IntegrityError:
        existing = find_duplicate(edition, fields["legal_name"])
        if existing is None:
            raise
        raise DuplicatePartnership(existing) from None


def _source_edition(edition):
    """Partnerships point at the edition in the source language (French)."""
    from wagtail.models import Locale

    default = Locale.get_default()
    if edition.locale_id == default.pk:
        return edition
    return edition.get_translation(default)


def choose_bank_transfer(partnership, actor=None) -> Invoice | None:
    """The partner pays by transfer: wait for it, issue the invoice and mail it (once).

    Also after an abandoned online payment. Returns None (and changes nothing) once the
    partnership is paid, cancelled or refunded.
    """
    with transaction.atomic():
        partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
        if partnership.state not in (PartnershipState.DRAFT, PartnershipState.AWAITING_PAYMENT):
            return None
        partnership.payment_method = PaymentMethod.TRANSFER
        partnership.save(update_fields=["payment_method", "updated_at"])
        if partnership.state == PartnershipState.DRAFT:
            partnership.transition(
                PartnershipState.AWAITING_PAYMENT, "Virement choisi par le partenaire", actor
            )
        invoice = partnership.invoices.first()
        if invoice is None:
            invoice = Invoice.issue(partnership)
            # sent once, when issued: a double click or a retried request sends nothing more
            transaction.on_commit(lambda: _send_invoice(invoice.pk), robust=True)
    return invoice


def await_online_payment(partnership, method):
    """The partner was sent to Stripe: the partnership now waits for the payment."""
    with transaction.atomic():
        partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
        partnership.payment_method = method
        partnership.save(update_fields=["payment_method", "updated_at"])
        if partnership.state == PartnershipState.DRAFT:
            partnership.transition(
                PartnershipState.AWAITING_PAYMENT, f"Paiement en ligne ({method}) commencé"
            )
    return partnership


def mark_paid(partnership, cause, actor=None) -> bool:
    """Record the payment: state "paid", an invoice, one receipt e-mail.

    Returns False (and changes nothing) when the partnership was already paid, refunded or
    cancelled, so a duplicated or late payment event is harmless.
    """
    with transaction.atomic():
        partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
        if partnership.state == PartnershipState.DRAFT:
            partnership.transition(PartnershipState.AWAITING_PAYMENT, cause, actor)
        if partnership.state != PartnershipState.AWAITING_PAYMENT:
            return False
        partnership.transition(PartnershipState.PAID, cause, actor)
        invoice = partnership.invoices.first() or Invoice.issue(partnership)
        transaction.on_commit(lambda: _send_receipt(partnership.pk, invoice.pk), robust=True)
    return True


def mark_payment_failed(partnership, cause):
    """A payment attempt failed; the partnership still waits for a payment."""
    partnership.payment_attempts.filter(status="created").update(
        status="failed", failure_message=cause[:1000]
    )


def mark_refunded(partnership, cause, actor=None) -> bool:
    with transaction.atomic():
        partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
        if not partnership.can_transition(PartnershipState.REFUNDED):
            return False
        partnership.transition(PartnershipState.REFUNDED, cause, actor)
    return True


def cancel(partnership, cause, actor=None) -> bool:
    with transaction.atomic():
        partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
        if not partnership.can_transition(PartnershipState.CANCELLED):
            return False
        partnership.transition(PartnershipState.CANCELLED, cause, actor)
    return True


def _send_invoice(invoice_id):
    from .tasks.mail import send_invoice

    send_invoice.delay(invoice_id)


def _send_receipt(partnership_id, invoice_id):
    from .tasks.mail import send_receipt

    send_receipt.delay(partnership_id, invoice_id)
