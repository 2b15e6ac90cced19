"""The partnership sign-up form. It never carries a tier or an amount: the server decides."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

import phonenumbers
from django_countries import countries
from stdnum import luhn
from stdnum.eu import vat
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siret

from .models import PaymentMethod


class TelInput(forms.TextInput):
    input_type = "tel"


class SignupForm(forms.Form):
    legal_name = forms.CharField(label=_("Raison sociale"), max_length=255)
    address = forms.CharField(
        label=_("Adresse postale"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )
    country = forms.ChoiceField(label=_("Pays"), initial="FR")
    registration_number = forms.CharField(
        label=_("SIRET ou n° de TVA intracommunautaire"),
        required=False,
        max_length=32,
        help_text=_("Par exemple 732 829 320 00074 ou FR40303265045."),
    )
    contact_name = forms.CharField(label=_("Nom et prénom"), max_length=255)
    contact_role = forms.CharField(label=_("Fonction"), max_length=255)
    contact_email = forms.EmailField(label=_("E-mail"), max_length=254)
    contact_phone = forms.CharField(
        label=_("Téléphone"),
        max_length=32,
        widget=TelInput,
        help_text=_("Par exemple +33 1 23 45 67 89."),
    )
    membership_number = forms.CharField(
        label=_("Numéro d'adhérent Fing"),
        required=False,
        max_length=50,
        help_text=_(
            "Si votre organisation est adhérente de la Fing : le tarif adhérent s'applique."
        ),
    )
    billing_name = forms.CharField(label=_("Contact facturation (nom)"), max_length=255)
    billing_email = forms.EmailField(label=_("E-mail de facturation"), max_length=254)
    purchase_order = forms.CharField(
        label=_("Référence de bon de commande"),
        required=False,
        max_length=100,
        help_text=_("Elle figurera sur la facture."),
    )
    accept_terms = forms.BooleanField(
        label=_("J'accepte les conditions du partenariat"),
        error_messages={"required": _("Vous devez accepter les conditions pour vous inscrire.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("Choisissez un pays"))] + list(countries)
        for name, field in self.fields.items():
            if name in {"contact_email", "billing_email"}:
                field.widget.attrs["autocomplete"] = "email"
            if name == "contact_phone":
                field.widget.attrs["autocomplete"] = "tel"
            if name == "contact_name":
                field.widget.attrs["autocomplete"] = "name"
            if name == "legal_name":
                field.widget.attrs["autocomplete"] = "organization"

    def clean_legal_name(self):
        name = " ".join(self.cleaned_data["legal_name"].split())
        if not any(ch.isalnum() for ch in name):
            raise forms.ValidationError(_("Indiquez la raison sociale de votre organisation."))
        return name

    def clean_contact_phone(self):
        raw = self.cleaned_data["contact_phone"]
        try:
            number = phonenumbers.parse(raw, self.data.get("country") or "FR")
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise forms.ValidationError(
                _(
                    "Ce numéro de téléphone n'est pas valide : indiquez-le avec l'indicatif, "
                    "par exemple +33 1 23 45 67 89."
                )
            )
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def clean_registration_number(self):
        raw = self.cleaned_data["registration_number"].strip()
        if not raw:
            return ""
        compact = raw.replace(" ", "").replace(".", "").replace("-", "").upper()
        if compact.isdigit():
            try:
                return siret.validate(compact)
            except StdnumError:
                if len(compact) == 14 and luhn.is_valid(compact):
                    return compact
                raise forms.ValidationError(
                    _("Ce numéro SIRET n'est pas valide (14 chiffres).")
                ) from None
        try:
            return vat.validate(compact)
        except StdnumError:
            raise forms.ValidationError(
                _(
                    "Ce numéro n'est ni un SIRET (14 chiffres) ni un numéro de TVA "
                    "intracommunautaire valide (par exemple FR40303265045)."
                )
            ) from None

    def clean_membership_number(self):
        return self.cleaned_data["membership_number"].strip().upper()


class PaymentChoiceForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Moyen de paiement"),
        choices=PaymentMethod.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez un moyen de paiement.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = available_methods()


def available_methods():
    """Card and SEPA Direct Debit need Stripe to be configured; a transfer always works."""
    online = bool(settings.STRIPE_SECRET_KEY)
    return [
        (value, label)
        for value, label in PaymentMethod.choices
        if online or value == PaymentMethod.TRANSFER
    ]
