"""The e-mails sent to partners, built in the partner's language (text and HTML bodies).

Each function returns an unsent EmailMultiAlternatives; the Celery tasks in
membership.tasks.mail send them (and retry).
"""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from . import partner_space
from .documents import (
    bank_details,
    due_date,
    edition_label,
    format_day,
    format_money,
    format_rate,
    invoice_document,
)
from .models import PaymentMethod

TEMPLATE_DIR = "membership/email"


def _context(partnership, email, invoice=None) -> dict:
    """What the templates show; the partner-space link is signed for `email`, the address
    the message is sent to."""
    language = partnership.language
    context = {
        "partnership": partnership,
        "organisation": partnership.legal_name,
        "contact_name": partnership.contact_name,
        "billing_name": partnership.billing_name,
        "reference": partnership.reference,
        "edition": edition_label(partnership.edition, language),
        "tier": partnership.get_tier_display(),
        "space_url": partner_space.magic_link_url(partnership, email),
        "lifetime_days": partner_space.link_lifetime_days(),
        "site_url": settings.WAGTAILADMIN_BASE_URL.rstrip("/") + f"/{language}/",
    }
    if invoice is not None:
        context.update(
            {
                "invoice": invoice,
                "number": invoice.number,
                "invoice_date": format_day(invoice.issued_at, language),
                "net": format_money(invoice.net_cents, language),
                "vat": format_money(invoice.vat_cents, language),
                "gross": format_money(invoice.gross_cents, language),
                "vat_rate": format_rate(invoice.vat_rate, language),
                "by_transfer": partnership.payment_method == PaymentMethod.TRANSFER,
                "due_date": format_day(due_date(invoice), language),
                "bank": bank_details(),
            }
        )
    return context


def _recipients(first, second):
    """`first` as the recipient, `second` in copy unless it is the same address."""
    cc = [second] if second and second.lower() != first.lower() else []
    return [first], cc


def _message(name, subject, context, to, cc=(), attachment=None):
    """The message; `attachment` is (filename, PDF bytes) or None."""
    language = context["partnership"].language
    with translation.override(language):
        text = render_to_string(f"{TEMPLATE_DIR}/{name}.txt", context)
        html = render_to_string(f"{TEMPLATE_DIR}/{name}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        cc=list(cc),
        headers={"Content-Language": language},
    )
    message.attach_alternative(html, "text/html")
    if attachment is not None:
        filename, content = attachment
        message.attach(filename, content, "application/pdf")
    return message


def invoice_message(invoice) -> EmailMultiAlternatives:
    """The invoice (PDF attached, which must be stored) to the billing contact, the contact
    in copy; with the bank details when the partner pays by transfer."""
    partnership = invoice.partnership
    to, cc = _recipients(partnership.billing_email, partnership.contact_email)
    context = _context(partnership, to[0], invoice)
    with translation.override(partnership.language):
        subject = _("Facture %(number)s — partenariat Questions Numériques %(edition)s") % {
            "number": invoice.number,
            "edition": context["edition"],
        }
    with invoice.pdf.open("rb") as pdf:
        attachment = (f"{invoice.number}.pdf", pdf.read())
    return _message("invoice", subject, context, to, cc, attachment)


def receipt_message(partnership, invoice) -> EmailMultiAlternatives:
    """The receipt of the payment to the contact, the billing contact in copy, with the
    invoice attached as paid (a transfer invoice marked « Acquittée le … », see
    documents.invoice_document)."""
    to, cc = _recipients(partnership.contact_email, partnership.billing_email)
    context = _context(partnership, to[0], invoice)
    with translation.override(partnership.language):
        subject = _("Paiement reçu — partenariat Questions Numériques %(edition)s") % {
            "edition": context["edition"]
        }
    attachment = (f"{invoice.number}.pdf", invoice_document(invoice))
    return _message("receipt", subject, context, to, cc, attachment)


def magic_link_message(partnership, email) -> EmailMultiAlternatives:
    """A link to the partner space, to `email` (the contact's or the billing address), valid
    while `email` remains one of the partnership's addresses."""
    context = _context(partnership, email)
    with translation.override(partnership.language):
        subject = _("Votre accès à l'espace partenaire Questions Numériques")
    return _message("magic_link", subject, context, [email])
