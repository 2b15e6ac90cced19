from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.Model):
    """A Stripe event as received (signature verified), stored once by its id."""

    class Status(models.TextChoices):
        PENDING = "pending", _("À traiter")
        PROCESSED = "processed", _("Traité")
        IGNORED = "ignored", _("Ignoré (sans effet)")
        UNMATCHED = "unmatched", _("Référence inconnue — à examiner")
        FAILED = "failed", _("Échec")

    stripe_id = models.CharField(_("identifiant Stripe"), max_length=255, unique=True)
    type = models.CharField(_("type"), max_length=100, db_index=True)
    payload = models.JSONField(_("contenu"))
    status = models.CharField(
        _("état"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    partnership = models.ForeignKey(
        "membership.Partnership",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webhook_events",
    )
    error = models.TextField(_("erreur"), blank=True)
    attempts = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(_("reçu le"), auto_now_add=True)
    processed_at = models.DateTimeField(_("traité le"), null=True, blank=True)

    class Meta:
        verbose_name = _("événement Stripe")
        verbose_name_plural = _("événements Stripe")
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.type} {self.stripe_id}"
