"""Invoice PDFs (reportlab), in the partner's language, and the formats they share with e-mails.

`render_invoice_pdf(invoice)` draws the document; `attach_pdf(invoice)` stores it in
`invoice.pdf` (private storage, see membership.storage) the first time and never redraws it
afterwards: an invoice, once issued, is a fixed document.

An invoice paid by transfer was issued before the payment, asking for it. Once the transfer is
recorded, `invoice_document(invoice)` gives the same invoice with the mention « Acquittée le
<date> » under its title (drawn again from the same data; not stored): that is the copy the
receipt attaches and the partner space serves.
"""

import datetime
from decimal import Decimal
from io import BytesIO
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .models import Invoice, PartnershipState, PaymentMethod

PAYMENT_TERM_DAYS = 30
"""Days between the invoice date and its due date for payment by transfer."""

NBSP = "\u00a0"

# Table cells aligned on the text margin, like the paragraphs around them.
FLUSH_LEFT = [("LEFTPADDING", (0, 0), (0, -1), 0)]


def format_money(cents: int, language: str) -> str:
    """20 000,00 € (French: no-break spaces) or €20,000.00 (English)."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(int(cents)), 100)
    if language.startswith("fr"):
        return f"{sign}{units:,}".replace(",", NBSP) + f",{rest:02d}{NBSP}€"
    return f"{sign}€{units:,}.{rest:02d}"


def format_rate(rate, language: str) -> str:
    """A VAT rate: 20 % / 5,5 % (French), 20% / 5.5% (English)."""
    text = f"{Decimal(rate).normalize():f}"
    if language.startswith("fr"):
        return text.replace(".", ",") + f"{NBSP}%"
    return f"{text}%"


def format_day(value, language: str) -> str:
    """A date (or the local date of a datetime) in the language's long format."""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value).date()
    with translation.override(language):
        return formats.date_format(value, "DATE_FORMAT")


def edition_label(edition, language: str) -> str:
    """« Think Small (2016-2017) », the edition's title in `language` when translated."""
    translated = edition.get_translation_or_none(_locale(language)) or edition
    return f"{translated.title} ({edition.years})"


def invoice_line_label(invoice) -> str:
    """The invoice line: « Partenariat Questions Numériques — Think Small (2016-2017) »."""
    with translation.override(invoice.language):
        return _("Partenariat Questions Numériques — %(edition)s") % {
            "edition": edition_label(invoice.partnership.edition, invoice.language)
        }


def bank_details() -> dict:
    """Holder, IBAN and BIC from the settings; IBAN/BIC empty when not configured."""
    return {
        "holder": settings.MEMBERSHIP_BANK_HOLDER,
        "iban": settings.MEMBERSHIP_BANK_IBAN.strip(),
        "bic": settings.MEMBERSHIP_BANK_BIC.strip(),
    }


def due_date(invoice) -> datetime.date:
    return timezone.localtime(invoice.issued_at).date() + datetime.timedelta(days=PAYMENT_TERM_DAYS)


def paid_on(partnership):
    """When the partnership became paid, or None."""
    transition = (
        partnership.transitions.filter(to_state=PartnershipState.PAID).order_by("at").last()
    )
    return transition.at if transition else None


def _locale(language):
    from wagtail.models import Locale

    return Locale.objects.filter(language_code=language).first()


def _country_name(code: str) -> str:
    from django_countries import countries

    return str(countries.name(code) or code)


def _styles():
    sheet = getSampleStyleSheet()
    base = ParagraphStyle("qn-base", parent=sheet["Normal"], fontName="Helvetica", fontSize=9.5)
    return {
        "base": base,
        "small": ParagraphStyle("qn-small", parent=base, fontSize=8, textColor=colors.grey),
        "title": ParagraphStyle(
            "qn-title", parent=base, fontName="Helvetica-Bold", fontSize=18, leading=22
        ),
        "heading": ParagraphStyle(
            "qn-heading", parent=base, fontName="Helvetica-Bold", fontSize=10.5, spaceBefore=8
        ),
        "label": ParagraphStyle(
            "qn-label", parent=base, fontName="Helvetica-Bold", fontSize=8, textColor=colors.grey
        ),
        "right": ParagraphStyle("qn-right", parent=base, alignment=TA_RIGHT),
        "bold_right": ParagraphStyle(
            "qn-bold-right", parent=base, alignment=TA_RIGHT, fontName="Helvetica-Bold"
        ),
        "paid": ParagraphStyle(
            "qn-paid",
            parent=base,
            fontName="Helvetica-Bold",
            fontSize=13,
            leading=16,
            textColor=colors.HexColor("#1b6e2d"),
        ),
    }


def _lines(text: str) -> str:
    """Plain text (possibly several lines) as Paragraph markup."""
    return "<br/>".join(escape(line) for line in str(text).splitlines() if line.strip())


def _bold(text) -> str:
    """Translated text as bold Paragraph markup (translate outside f-strings, where
    makemessages finds the message)."""
    return f"<b>{escape(str(text))}</b>"


def _story(invoice, paid_at=None):
    partnership = invoice.partnership
    language = invoice.language
    st = _styles()
    money = lambda cents: format_money(cents, language)  # noqa: E731
    story = []

    # Issuer and customer, side by side
    issuer = Paragraph(_lines(settings.MEMBERSHIP_INVOICE_ISSUER), st["base"])
    customer_lines = [f"<b>{escape(partnership.legal_name)}</b>", _lines(partnership.address)]
    customer_lines.append(escape(_country_name(partnership.country)))
    if partnership.registration_number:
        customer_lines.append(
            escape(
                _("SIRET / n° de TVA : %(number)s") % {"number": partnership.registration_number}
            )
        )
    customer_lines.append(
        escape(
            _("À l'attention de : %(name)s (%(email)s)")
            % {"name": partnership.billing_name, "email": partnership.billing_email}
        )
    )
    customer = Paragraph("<br/>".join(customer_lines), st["base"])
    parties = Table(
        [
            [
                Paragraph(escape(_("Émetteur")), st["label"]),
                Paragraph(escape(_("Client")), st["label"]),
            ],
            [issuer, customer],
        ],
        colWidths=[80 * mm, 94 * mm],
        hAlign="LEFT",
    )
    parties.setStyle(TableStyle([*FLUSH_LEFT, ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story.append(parties)
    story.append(Spacer(1, 10 * mm))
    story.append(
        Paragraph(escape(_("Facture n° %(number)s") % {"number": invoice.number}), st["title"])
    )
    if paid_at is not None:
        story.append(Spacer(1, 2 * mm))
        story.append(
            Paragraph(
                escape(_("Acquittée le %(date)s") % {"date": format_day(paid_at, language)}),
                st["paid"],
            )
        )
    story.append(Spacer(1, 2 * mm))
    facts = [
        (_("Date de facture"), format_day(invoice.issued_at, language)),
        (_("Référence du partenariat"), partnership.reference),
    ]
    if partnership.purchase_order:
        facts.append((_("Votre bon de commande"), partnership.purchase_order))
    story.append(
        Table(
            [
                [Paragraph(escape(k), st["base"]), Paragraph(escape(v), st["base"])]
                for k, v in facts
            ],
            colWidths=[55 * mm, 119 * mm],
            hAlign="LEFT",
            style=TableStyle(FLUSH_LEFT),
        )
    )
    story.append(Spacer(1, 8 * mm))

    # The line and the totals
    rate = format_rate(invoice.vat_rate, language)
    rows = [
        [
            Paragraph(_bold(_("Désignation")), st["base"]),
            Paragraph(_bold(_("Tarif")), st["base"]),
            Paragraph(_bold(_("Montant HT")), st["right"]),
        ],
        [
            Paragraph(escape(invoice_line_label(invoice)), st["base"]),
            Paragraph(escape(str(partnership.get_tier_display())), st["base"]),
            Paragraph(money(invoice.net_cents), st["right"]),
        ],
        [
            "",
            Paragraph(escape(_("Total HT")), st["base"]),
            Paragraph(money(invoice.net_cents), st["right"]),
        ],
        [
            "",
            Paragraph(escape(_("TVA %(rate)s") % {"rate": rate}), st["base"]),
            Paragraph(money(invoice.vat_cents), st["right"]),
        ],
        [
            "",
            Paragraph(_bold(_("Total TTC")), st["base"]),
            Paragraph(money(invoice.gross_cents), st["bold_right"]),
        ],
    ]
    table = Table(rows, colWidths=[94 * mm, 45 * mm, 35 * mm], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, 1), 0.4, colors.grey),
                ("LINEABOVE", (1, 4), (-1, 4), 0.8, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                *FLUSH_LEFT,
            ]
        )
    )
    story.append(table)
    story.append(Spacer(1, 3 * mm))
    if partnership.prices_include_vat:
        vat_note = _("Prix indiqués toutes taxes comprises (TVA %(rate)s incluse).")
    else:
        vat_note = _("Prix indiqués hors taxes ; TVA %(rate)s en sus.")
    story.append(Paragraph(escape(vat_note % {"rate": rate}), st["base"]))

    # Payment
    story.append(Paragraph(escape(_("Paiement")), st["heading"]))
    for paragraph in payment_paragraphs(invoice):
        story.append(Paragraph(paragraph, st["base"]))
    story.append(Spacer(1, 6 * mm))
    story.append(
        Paragraph(
            escape(
                _(
                    "En cas de retard de paiement : pénalités au taux de trois fois le taux "
                    "d'intérêt légal et indemnité forfaitaire pour frais de recouvrement de 40 €."
                )
            ),
            st["small"],
        )
    )
    return story


def payment_paragraphs(invoice) -> list[str]:
    """The payment terms, as Paragraph markup, in the active language."""
    partnership = invoice.partnership
    language = invoice.language
    if partnership.payment_method == PaymentMethod.TRANSFER:
        bank = bank_details()
        paragraphs = [
            escape(
                _(
                    "Paiement par virement bancaire à %(days)s jours, au plus tard le %(date)s, "
                    "en indiquant la référence %(number)s."
                )
                % {
                    "days": PAYMENT_TERM_DAYS,
                    "date": format_day(due_date(invoice), language),
                    "number": invoice.number,
                }
            )
        ]
        details = [_("Titulaire du compte : %(holder)s") % {"holder": bank["holder"]}]
        if bank["iban"]:
            details.append(_("IBAN : %(iban)s") % {"iban": bank["iban"]})
            if bank["bic"]:
                details.append(_("BIC : %(bic)s") % {"bic": bank["bic"]})
        else:
            details.append(
                _("IBAN : communiqué sur demande, il n'est pas encore configuré sur ce portail.")
            )
        details.append(_("Référence du virement : %(number)s") % {"number": invoice.number})
        paragraphs.append("<br/>".join(escape(line) for line in details))
        return paragraphs
    when = paid_on(partnership)
    method = partnership.get_payment_method_display() or _("paiement en ligne")
    if partnership.state in (PartnershipState.PAID, PartnershipState.REFUNDED) and when:
        return [
            escape(
                _("Facture acquittée le %(date)s (%(method)s).")
                % {"date": format_day(when, language), "method": method}
            )
        ]
    return [escape(_("Paiement en ligne (%(method)s).") % {"method": method})]


def render_invoice_pdf(invoice, *, paid_at=None) -> bytes:
    """The invoice as a PDF document, in the invoice's language (fr/en); with `paid_at` (a
    date or datetime), marked « Acquittée le <date> » under its title."""
    buffer = BytesIO()
    with translation.override(invoice.language):
        document = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=18 * mm,
            rightMargin=18 * mm,
            topMargin=18 * mm,
            bottomMargin=18 * mm,
            title=_("Facture %(number)s") % {"number": invoice.number},
            author=settings.MEMBERSHIP_INVOICE_ISSUER.splitlines()[0],
            subject=invoice_line_label(invoice),
            lang=invoice.language,
            invariant=True,
        )
        document.build(_story(invoice, paid_at))
    return buffer.getvalue()


def attach_pdf(invoice) -> Invoice:
    """Store the invoice's PDF in `invoice.pdf` unless it is there already; returns the invoice.

    The invoice row is locked while the file is written, so two workers cannot both store one.
    """
    if invoice.pdf:
        return invoice
    with transaction.atomic():
        locked = (
            Invoice.objects.select_for_update()
            .select_related("partnership__edition")
            .get(pk=invoice.pk)
        )
        if not locked.pdf:
            locked.pdf.save(f"{locked.number}.pdf", ContentFile(render_invoice_pdf(locked)))
    invoice.pdf = locked.pdf
    return invoice


def paid_transfer_on(invoice):
    """When the transfer this invoice asked for was recorded; None unless the partnership
    pays by transfer and is (or was, before a refund) paid."""
    partnership = invoice.partnership
    if partnership.payment_method != PaymentMethod.TRANSFER or partnership.state not in (
        PartnershipState.PAID,
        PartnershipState.REFUNDED,
    ):
        return None
    return paid_on(partnership)


def invoice_document(invoice) -> bytes:
    """The invoice's PDF as the partner should have it now: the stored document, or once its
    transfer is recorded, the same invoice marked « Acquittée le <date> »."""
    paid_at = paid_transfer_on(invoice)
    if paid_at is not None:
        return render_invoice_pdf(invoice, paid_at=paid_at)
    attach_pdf(invoice)
    with invoice.pdf.open("rb") as stored:
        return stored.read()
