"""Invoices, numbered per year without gaps (QN-2026-0001, QN-2026-0002, …)."""

from decimal import ROUND_HALF_UP, Decimal

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..storage import private_storage


class InvoiceSequence(models.Model):
    """The last number issued in a year. Its row is locked while a number is taken, and the
    number is only consumed when the invoice row is committed with it: no gaps."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year}: {self.last_number}"


def split_amount(amount_cents: int, vat_rate: Decimal, prices_include_vat: bool):
    """(net, vat, gross) in cents for a price and how VAT applies to it."""
    rate = Decimal(vat_rate) / 100
    if prices_include_vat:
        gross = amount_cents
        net = int((Decimal(gross) / (1 + rate)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    else:
        net = amount_cents
        gross = int((Decimal(net) * (1 + rate)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return net, gross - net, gross


class Invoice(models.Model):
    partnership = models.ForeignKey(
        "membership.Partnership", on_delete=models.PROTECT, related_name="invoices"
    )
    number = models.CharField(_("numéro"), max_length=20, unique=True)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    issued_at = models.DateTimeField(_("émise le"), default=timezone.now)
    net_cents = models.PositiveIntegerField(_("montant HT (centimes)"))
    vat_cents = models.PositiveIntegerField(_("TVA (centimes)"))
    gross_cents = models.PositiveIntegerField(_("montant TTC (centimes)"))
    vat_rate = models.DecimalField(_("taux de TVA"), max_digits=5, decimal_places=2)
    language = models.CharField(max_length=5)
    pdf = models.FileField(
        _("PDF"), upload_to="membership/invoices/%Y/", storage=private_storage, blank=True
    )
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    # Reminders of a transfer invoice still unpaid after its due date
    # (membership.tasks.mail.remind_unpaid_invoices).
    reminded_at = models.DateTimeField(_("dernière relance le"), null=True, blank=True)
    reminder_count = models.PositiveSmallIntegerField(_("relances envoyées"), default=0)

    class Meta:
        verbose_name = _("facture")
        verbose_name_plural = _("factures")
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="unique_invoice_sequence")
        ]

    def __str__(self):
        return self.number

    @classmethod
    def issue(cls, partnership, when=None):
        """Create the next invoice of the year for `partnership` (inside one transaction)."""
        when = when or timezone.now()
        year = timezone.localtime(when).year
        with transaction.atomic():
            InvoiceSequence.objects.get_or_create(year=year)
            sequence = InvoiceSequence.objects.select_for_update().get(year=year)
            sequence.last_number += 1
            sequence.save(update_fields=["last_number"])
            net, vat, gross = split_amount(
                partnership.amount_cents, partnership.vat_rate, partnership.prices_include_vat
            )
            return cls.objects.create(
                partnership=partnership,
                number=f"QN-{year}-{sequence.last_number:04d}",
                year=year,
                sequence=sequence.last_number,
                issued_at=when,
                net_cents=net,
                vat_cents=vat,
                gross_cents=gross,
                vat_rate=partnership.vat_rate,
                language=partnership.language,
            )
