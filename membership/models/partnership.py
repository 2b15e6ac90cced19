"""A partnership: one organisation signing up for one edition, and what became of it.

States and the only transitions allowed between them:

    draft ─▶ awaiting_payment ─▶ paid ─▶ refunded
      │              │
      └──────────────┴─▶ cancelled

Every transition is recorded (time, cause, actor). `Partnership.transition()` locks the row,
so two workers handling the same payment cannot both move it.
"""

import re
import secrets
import unicodedata
import uuid

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail.log_actions import log

from .offer import Tier


class PartnershipState(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    AWAITING_PAYMENT = "awaiting_payment", _("En attente de paiement")
    PAID = "paid", _("Payé")
    CANCELLED = "cancelled", _("Annulé")
    REFUNDED = "refunded", _("Remboursé")


ALLOWED_TRANSITIONS = {
    PartnershipState.DRAFT: {PartnershipState.AWAITING_PAYMENT, PartnershipState.CANCELLED},
    PartnershipState.AWAITING_PAYMENT: {PartnershipState.PAID, PartnershipState.CANCELLED},
    PartnershipState.PAID: {PartnershipState.REFUNDED},
    PartnershipState.CANCELLED: set(),
    PartnershipState.REFUNDED: set(),
}


class PaymentMethod(models.TextChoices):
    CARD = "card", _("Carte bancaire")
    SEPA = "sepa_debit", _("Prélèvement SEPA")
    TRANSFER = "transfer", _("Virement sur facture")


class IllegalTransition(Exception):
    def __init__(self, partnership, target):
        super().__init__(
            f"Partnership {partnership.reference} cannot go from {partnership.state} to {target}"
        )


def organisation_key(name: str) -> str:
    """A comparison key for organisation names: case, accents, punctuation and legal forms
    don't make two sign-ups different organisations."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    words = [w for w in text.split() if w not in {"sa", "sas", "sarl", "sasu", "eurl", "the"}]
    if words:
        return " ".join(words)
    # a name in another script (Сбербанк, 株式会社トヨタ) or made of legal forms only: compare
    # the whole name, case-folded, without punctuation
    folded = unicodedata.normalize("NFKC", name).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", folded).split()) or folded.strip()


def new_reference() -> str:
    return f"QN-{secrets.token_hex(4).upper()}"


class Partnership(models.Model):
    reference = models.CharField(
        _("référence"), max_length=20, unique=True, default=new_reference, editable=False
    )
    edition = models.ForeignKey(
        "editions.EditionPage",
        verbose_name=_("édition"),
        on_delete=models.PROTECT,
        related_name="partnerships",
    )
    language = models.CharField(_("langue"), max_length=5, choices=settings.LANGUAGES)
    state = models.CharField(
        _("état"),
        max_length=20,
        choices=PartnershipState.choices,
        default=PartnershipState.DRAFT,
        db_index=True,
    )

    # Organisation
    legal_name = models.CharField(_("raison sociale"), max_length=255)
    organisation_key = models.CharField(max_length=255, editable=False, db_index=True)
    address = models.TextField(_("adresse"))
    country = models.CharField(_("pays"), max_length=2)
    registration_number = models.CharField(
        _("SIRET ou n° de TVA intracommunautaire"), max_length=32, blank=True
    )

    # Contact
    contact_name = models.CharField(_("nom du contact"), max_length=255)
    contact_role = models.CharField(_("fonction du contact"), max_length=255)
    contact_email = models.EmailField(_("e-mail du contact"))
    contact_phone = models.CharField(_("téléphone du contact"), max_length=32)
    membership_number = models.CharField(_("numéro d'adhérent"), max_length=50, blank=True)

    # Billing
    billing_name = models.CharField(_("contact facturation"), max_length=255)
    billing_email = models.EmailField(_("e-mail de facturation"))
    purchase_order = models.CharField(_("référence de bon de commande"), max_length=100, blank=True)
    terms_accepted_at = models.DateTimeField(_("conditions acceptées le"))

    # Price: decided on the server, never taken from the form
    tier = models.CharField(_("tarif"), max_length=20, choices=Tier.choices)
    adherent = models.ForeignKey(
        "membership.Adherent",
        verbose_name=_("adhérent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="partnerships",
    )
    amount_cents = models.PositiveIntegerField(_("montant (centimes)"))
    currency = models.CharField(max_length=3, default="EUR")
    vat_rate = models.DecimalField(_("taux de TVA"), max_digits=5, decimal_places=2)
    prices_include_vat = models.BooleanField(_("prix TTC"))
    payment_method = models.CharField(
        _("moyen de paiement"), max_length=20, choices=PaymentMethod.choices, blank=True
    )

    receipt_sent_at = models.DateTimeField(_("reçu envoyé le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("partenariat")
        verbose_name_plural = _("partenariats")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["edition", "organisation_key"],
                condition=~models.Q(state="cancelled"),
                name="one_partnership_per_organisation_and_edition",
            )
        ]

    def __str__(self):
        return f"{self.reference} — {self.legal_name}"

    def save(self, *args, **kwargs):
        self.organisation_key = organisation_key(self.legal_name)
        super().save(*args, **kwargs)

    @property
    def total_cents(self) -> int:
        """What the partner pays: the price plus VAT when prices exclude it (the invoice's
        gross amount, and the amount charged online)."""
        from .invoice import split_amount

        return split_amount(self.amount_cents, self.vat_rate, self.prices_include_vat)[2]

    def can_transition(self, target) -> bool:
        return target in ALLOWED_TRANSITIONS[PartnershipState(self.state)]

    def transition(self, target, cause, actor=None):
        """Move to `target`, recording why. Raises IllegalTransition; returns the transition.

        The row is locked for the duration, and its state re-read, so concurrent callers
        are serialised and the second one sees the first one's result.
        """
        with transaction.atomic():
            locked = Partnership.objects.select_for_update().get(pk=self.pk)
            if not locked.can_transition(target):
                raise IllegalTransition(locked, target)
            record = PartnershipTransition.objects.create(
                partnership=locked,
                from_state=locked.state,
                to_state=target,
                cause=cause,
                actor=actor,
            )
            locked.state = target
            locked.save(update_fields=["state", "updated_at"])
            # The admin's audit trail (Reports → Site history, and the partnership's history).
            log(
                instance=locked,
                action="membership.payment"
                if target == PartnershipState.PAID
                else "membership.transition",
                user=actor,
                data={"from": record.from_state, "to": target, "cause": cause},
            )
        self.state = target
        return record


class PartnershipTransition(models.Model):
    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="transitions"
    )
    from_state = models.CharField(max_length=20, choices=PartnershipState.choices)
    to_state = models.CharField(max_length=20, choices=PartnershipState.choices)
    at = models.DateTimeField(default=timezone.now)
    cause = models.CharField(_("cause"), max_length=255)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("changement d'état")
        verbose_name_plural = _("changements d'état")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.partnership.reference}: {self.from_state} → {self.to_state} ({self.cause})"


class PaymentAttempt(models.Model):
    """One attempt to pay online; its idempotency key makes a retried request safe."""

    class Status(models.TextChoices):
        CREATED = "created", _("Créée")
        SUCCEEDED = "succeeded", _("Réussie")
        FAILED = "failed", _("Échouée")

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="payment_attempts"
    )
    method = models.CharField(max_length=20, choices=PaymentMethod.choices)
    idempotency_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    amount_cents = models.PositiveIntegerField()
    checkout_session_id = models.CharField(max_length=255, blank=True, db_index=True)
    payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CREATED)
    failure_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.partnership.reference} {self.method} {self.status}"
