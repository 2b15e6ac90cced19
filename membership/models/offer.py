"""The partnership offer of an edition, and its prices (editor-managed, per tier)."""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField

from home.models.base import BasePage, translated


class Tier(models.TextChoices):
    ADHERENT = "adherent", _("Adhérent Fing")
    NON_MEMBER = "non_member", _("Non adhérent Fing")


class Price(models.Model):
    """What one tier pays to partner one edition, in integer cents (EUR)."""

    edition = models.ForeignKey(
        "editions.EditionPage",
        verbose_name=_("édition"),
        on_delete=models.CASCADE,
        related_name="prices",
        limit_choices_to={"locale__language_code": "fr"},
    )
    tier = models.CharField(_("tarif"), max_length=20, choices=Tier.choices)
    amount_cents = models.PositiveIntegerField(
        _("montant (centimes d'euro)"),
        validators=[MinValueValidator(100)],
        help_text=_("En centimes : 2000000 pour 20 000 €."),
    )
    currency = models.CharField(max_length=3, default="EUR", editable=False)

    panels = [FieldPanel("edition"), FieldPanel("tier"), FieldPanel("amount_cents")]

    class Meta:
        verbose_name = _("tarif de partenariat")
        verbose_name_plural = _("tarifs de partenariat")
        ordering = ["edition", "tier"]
        constraints = [
            models.UniqueConstraint(fields=["edition", "tier"], name="unique_price_per_tier")
        ]

    def __str__(self):
        return f"{self.edition} — {self.get_tier_display()} : {self.amount_cents / 100:,.0f} €"

    @classmethod
    def for_edition(cls, edition, tier):
        """The price of `tier` for `edition` (in any locale), or None when none is set."""
        return cls.objects.filter(
            edition__translation_key=edition.translation_key, tier=tier
        ).first()


class CommitmentBlock(blocks.StructBlock):
    item = blocks.CharBlock(label=_("Engagement"))
    workload = blocks.CharBlock(required=False, label=_("Charge de travail"))

    class Meta:
        icon = "tick"
        label = _("Engagement")


class PartnershipOfferPage(RoutablePageMixin, BasePage):
    """An edition's offer to partners, with its sign-up form (see membership.views)."""

    what_we_do = StreamField(
        [("item", blocks.CharBlock(label=_("Engagement commun")))],
        blank=True,
        verbose_name=_("ce que nous engagerons ensemble"),
    )
    workload = StreamField(
        [("commitment", CommitmentBlock())], blank=True, verbose_name=_("charge de travail")
    )
    benefits = StreamField(
        [("item", blocks.CharBlock(label=_("Ce que reçoit le partenaire")))],
        blank=True,
        verbose_name=_("ce que reçoivent les partenaires"),
    )
    conditions = RichTextField(
        _("conditions générales"), blank=True, features=["bold", "italic", "link", "ul", "ol"]
    )

    parent_page_types = ["editions.EditionPage"]
    subpage_types = []
    max_count_per_parent = 1

    translatable_fields = [
        *BasePage.translatable_fields,
        *translated("what_we_do", "workload", "benefits", "conditions"),
    ]
    content_panels = [
        *BasePage.content_panels,
        FieldPanel("what_we_do"),
        FieldPanel("workload"),
        FieldPanel("benefits"),
        FieldPanel("conditions"),
    ]

    class Meta:
        verbose_name = _("offre de partenariat")
        verbose_name_plural = _("offres de partenariat")

    @path("inscription/", name="signup")
    def signup_view(self, request):
        from membership import signup

        return signup.signup(request, self)

    @path("inscription/<str:reference>/", name="confirm")
    def confirm_view(self, request, reference):
        from membership import signup

        return signup.confirm(request, self, reference)

    @path("inscription/<str:reference>/merci/", name="done")
    def done_view(self, request, reference):
        from membership import signup

        return signup.done(request, self, reference)

    @property
    def edition(self):
        return self.get_parent().specific

    def prices(self):
        """The edition's prices, members' first."""
        edition = self.edition
        return sorted(
            Price.objects.filter(edition__translation_key=edition.translation_key),
            key=lambda price: price.tier != Tier.ADHERENT,
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["prices"] = self.prices()
        context["edition"] = self.edition
        return context
