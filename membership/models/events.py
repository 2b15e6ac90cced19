from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class ProgrammeEvent(models.Model):
    """A date of an edition's programme (steering committee, seminar…), for partners' calendars."""

    class Kind(models.TextChoices):
        STEERING = "steering", _("Comité de pilotage")
        SEMINAR = "seminar", _("Séminaire national")
        LEARNING = "learning", _("Parcours apprenant")
        MEETING = "meeting", _("Rendez-vous")

    edition = models.ForeignKey(
        "editions.EditionPage",
        verbose_name=_("édition"),
        on_delete=models.CASCADE,
        related_name="programme_events",
        limit_choices_to={"locale__language_code": "fr"},
    )
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("intitulé"), max_length=255)
    title_en = models.CharField(_("intitulé en anglais"), max_length=255, blank=True)
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    location = models.CharField(_("lieu"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("date du programme")
        verbose_name_plural = _("dates du programme")
        ordering = ["starts_at"]

    def __str__(self):
        return f"{self.title} ({self.starts_at:%d/%m/%Y})"

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("La fin doit suivre le début.")})
