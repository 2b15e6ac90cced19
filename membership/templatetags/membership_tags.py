from decimal import Decimal

from django import template
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def euros(cents):
    """2000000 → « 20 000 € » in French, « €20,000 » in English (decimals only when needed)."""
    if cents in (None, ""):
        return ""
    amount = Decimal(int(cents)) / 100
    places = 0 if amount == amount.to_integral() else 2
    if get_language() == "en":
        return f"€{amount:,.{places}f}"
    text = number_format(amount, decimal_pos=places, use_l10n=True, force_grouping=True)
    return f"{text.replace(' ', ' ')} €"


@register.simple_tag
def vat_notice():
    rate = number_format(settings.MEMBERSHIP_VAT_RATE.normalize(), use_l10n=True)
    if settings.MEMBERSHIP_PRICES_INCLUDE_VAT:
        return _("TVA de %(rate)s %% comprise") % {"rate": rate}
    return _("Hors taxes ; TVA de %(rate)s %% en sus") % {"rate": rate}
