"""Enquiries from visitors, and the contacts they are routed to by topic."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Topic(models.TextChoices):
    PARTNERSHIP = "partnership", _("Partenariat")
    PROGRAMME = "programme", _("Le programme")
    PRESS = "press", _("Presse")
    OTHER = "other", _("Autre")


class Contact(models.Model):
    """Somebody at Fing who answers enquiries (editor-managed)."""

    name = models.CharField(_("nom"), max_length=255)
    role = models.CharField(_("fonction"), max_length=255, blank=True)
    email = models.EmailField(_("e-mail"))
    languages = models.CharField(
        _("langues"),
        max_length=20,
        default="fr",
        help_text=_("Codes séparés par des virgules : fr, en."),
    )
    active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} <{self.email}>"

    @property
    def topics(self):
        return [route.get_topic_display() for route in self.routes.all()]


class TopicRoute(models.Model):
    """Which contact receives the enquiries of a topic (the routing table)."""

    topic = models.CharField(_("sujet"), max_length=20, choices=Topic.choices, unique=True)
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.PROTECT, related_name="routes"
    )

    class Meta:
        verbose_name = _("aiguillage")
        verbose_name_plural = _("aiguillage des demandes")
        ordering = ["topic"]

    def __str__(self):
        return f"{self.get_topic_display()} → {self.contact.name}"


class Enquiry(models.Model):
    class State(models.TextChoices):
        NEW = "new", _("Nouvelle")
        IN_PROGRESS = "in_progress", _("En cours")
        ANSWERED = "answered", _("Répondue")
        SPAM = "spam", _("Indésirable")

    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("nom"), max_length=200)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"))
    phone = models.CharField(_("téléphone"), max_length=32, blank=True)
    topic = models.CharField(_("sujet"), max_length=20, choices=Topic.choices)
    edition = models.ForeignKey(
        "editions.EditionPage",
        verbose_name=_("édition"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    message = models.TextField(_("message"))
    language = models.CharField(_("langue"), max_length=5, choices=settings.LANGUAGES)
    consent_at = models.DateTimeField(_("consentement donné le"))

    state = models.CharField(
        _("état"), max_length=20, choices=State.choices, default=State.NEW, db_index=True
    )
    spam_reason = models.CharField(_("motif (indésirable)"), max_length=100, blank=True)
    routed_to = models.ForeignKey(
        Contact,
        verbose_name=_("transmise à"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enquiries",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("suivie par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notes = models.TextField(_("notes internes"), blank=True)
    client_key = models.CharField(max_length=64, blank=True, editable=False)
    notified_at = models.DateTimeField(_("transmise le"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("accusé de réception le"), null=True, blank=True)
    created_at = models.DateTimeField(_("reçue le"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("demande")
        verbose_name_plural = _("demandes")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} — {self.get_topic_display()} ({self.created_at:%d/%m/%Y})"
