"""Fing's adhérents: the registry that decides who pays the members' price."""

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..storage import private_storage


def normalise_domain(domain: str) -> str:
    return domain.strip().lower().lstrip("@").rstrip(".")


class AdherentQuerySet(models.QuerySet):
    def valid_on(self, day: datetime.date):
        return self.filter(valid_from__lte=day).filter(
            models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=day)
        )

    def matching(self, membership_number: str, email: str, day: datetime.date | None = None):
        """The adhérent record valid on `day` (today) that this number and e-mail qualify for."""
        number = (membership_number or "").strip().upper()
        if not number:
            return None
        day = day or timezone.localdate()
        adherent = self.valid_on(day).filter(membership_number=number).first()
        if adherent is None or not adherent.accepts_email(email):
            return None
        return adherent


class Adherent(models.Model):
    """An organisation that is a member (adhérent) of Fing over a period."""

    organisation = models.CharField(_("organisation"), max_length=255)
    membership_number = models.CharField(_("numéro d'adhérent"), max_length=50, unique=True)
    email_domains = models.TextField(
        _("domaines e-mail"),
        blank=True,
        help_text=_(
            "Un domaine par ligne (ex. exemple.fr). Si renseignés, l'e-mail du contact doit "
            "appartenir à l'un d'eux pour bénéficier du tarif adhérent."
        ),
    )
    valid_from = models.DateField(_("adhérent depuis"))
    valid_to = models.DateField(_("adhérent jusqu'au"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AdherentQuerySet.as_manager()

    class Meta:
        verbose_name = _("adhérent")
        verbose_name_plural = _("adhérents")
        ordering = ["organisation"]

    def __str__(self):
        return f"{self.organisation} ({self.membership_number})"

    def clean(self):
        self.membership_number = self.membership_number.strip().upper()
        if self.valid_to and self.valid_from and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("La fin d'adhésion précède son début.")})
        self.email_domains = "\n".join(self.domains)

    @property
    def domains(self) -> list[str]:
        raw = self.email_domains.replace(",", "\n").splitlines()
        return sorted({normalise_domain(d) for d in raw if d.strip()})

    def accepts_email(self, email: str) -> bool:
        if not self.domains:
            return True
        domain = normalise_domain((email or "").rpartition("@")[2])
        return domain in self.domains


class AdherentImport(models.Model):
    """One CSV import of the registry, with its progress and per-row errors."""

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        RUNNING = "running", _("En cours")
        DONE = "done", _("Terminé")
        FAILED = "failed", _("Échec")

    file = models.FileField(
        _("fichier CSV"), upload_to="membership/imports/", storage=private_storage
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import d'adhérents")
        verbose_name_plural = _("imports d'adhérents")
        ordering = ["-created_at"]

    def __str__(self):
        return f"Import {self.pk} ({self.get_status_display()})"

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.status == self.Status.DONE else 0
        return round(100 * self.processed_rows / self.total_rows)
