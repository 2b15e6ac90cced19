"""Invoice PDFs: what a partner reads on them, in their language, and that they are stored once."""

import base64
import re
import zlib

from django.core.files.storage import default_storage

import pytest

from membership.documents import attach_pdf, format_money, render_invoice_pdf
from membership.models import Invoice, PaymentMethod, Tier
from tests.membership_factories import make_partnership

NBSP = "\u00a0"

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    """The text strings drawn on the pages, in drawing order (reportlab's standard fonts write
    them as literal strings in cp1252). Enough to read an invoice without a PDF library."""
    assert data.startswith(b"%PDF-")
    contents = []
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\n?endstream", data, re.S):
        if raw.rstrip().endswith(b"~>"):  # /ASCII85Decode, reportlab's default
            raw = base64.a85decode(raw.strip(), adobe=True)
        try:
            contents.append(zlib.decompress(raw))
        except zlib.error:
            contents.append(raw)
    strings = []
    for content in contents:
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", content, re.S):
            text = re.sub(rb"\\([0-7]{1,3})", lambda m: bytes([int(m.group(1), 8)]), literal)
            text = re.sub(rb"\\(.)", rb"\1", text)
            strings.append(text.decode("cp1252"))
    return "\n".join(strings)


def flat(text):
    """Lines joined, so that a phrase wrapped on two lines is still found; reportlab draws
    no-break spaces as spaces."""
    return " ".join(text.split("\n")).replace(NBSP, " ")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def bank(settings):
    settings.MEMBERSHIP_BANK_HOLDER = "Fing"
    settings.MEMBERSHIP_BANK_IBAN = "FR76 3000 6000 0112 3456 7890 189"
    settings.MEMBERSHIP_BANK_BIC = "AGRIFRPP"
    return settings


def test_money_is_formatted_for_the_language():
    assert format_money(2_000_000, "fr") == f"20{NBSP}000,00{NBSP}€"
    assert format_money(2_000_000, "en") == "€20,000.00"
    assert format_money(1_666_667, "en") == "€16,666.67"


def test_a_french_transfer_invoice_holds_what_the_accountant_needs(bank):
    partnership = make_partnership(
        state="awaiting_payment",
        payment_method=PaymentMethod.TRANSFER,
        legal_name="Exemple & Associés",
        registration_number="732 829 320 00074",
        purchase_order="BC-2026-042",
    )
    invoice = Invoice.objects.get(partnership=partnership)

    data = render_invoice_pdf(invoice)

    text = flat(pdf_text(data))
    assert re.fullmatch(r"QN-\d{4}-\d{4}", invoice.number)
    assert f"Facture n° {invoice.number}" in text
    assert "Fing, association loi 1901" in text  # the issuer, from the settings
    assert "Exemple & Associés" in text
    assert "75011 Paris" in text
    assert "SIRET / n° de TVA : 732 829 320 00074" in text
    assert "BC-2026-042" in text
    assert partnership.reference in text
    assert "Partenariat Questions Numériques — Think Small" in text
    assert "(2016-2017)" in text
    assert "Non adhérent Fing" in text
    # 25 000 € excluding VAT, VAT at 20 % on top
    assert "25 000,00 €" in text
    assert "5 000,00 €" in text
    assert "30 000,00 €" in text
    assert "TVA 20 %" in text
    assert "Prix indiqués hors taxes" in text
    # Paying by transfer: the bank details, the invoice number as the transfer reference
    assert "IBAN : FR76 3000 6000 0112 3456 7890 189" in text
    assert "BIC : AGRIFRPP" in text
    assert f"Référence du virement : {invoice.number}" in text
    assert "à 30 jours" in text


def test_without_a_configured_iban_the_invoice_says_so(settings):
    settings.MEMBERSHIP_BANK_IBAN = ""
    partnership = make_partnership(state="awaiting_payment", payment_method=PaymentMethod.TRANSFER)
    invoice = Invoice.objects.get(partnership=partnership)

    text = flat(pdf_text(render_invoice_pdf(invoice)))

    assert "IBAN : communiqué sur demande" in text
    assert "FR76" not in text


def test_an_english_invoice_with_prices_including_vat(bank):
    partnership = make_partnership(
        state="paid",
        language="en",
        country="DE",
        tier=Tier.ADHERENT,
        amount_cents=2_000_000,
        prices_include_vat=True,
    )
    invoice = Invoice.objects.get(partnership=partnership)

    text = flat(pdf_text(render_invoice_pdf(invoice)))

    assert f"Invoice no. {invoice.number}" in text
    assert "Questions Numériques partnership — Think Small" in text
    assert "Germany" in text
    assert "€16,666.67" in text  # net
    assert "€3,333.33" in text  # VAT
    assert "€20,000.00" in text  # gross: the price, VAT included
    assert "VAT 20%" in text
    assert "Prices include VAT" in text
    # Paid online: no bank details, the date of payment
    assert "Paid on" in text
    assert "IBAN" not in text


def test_the_pdf_is_stored_once(bank):
    partnership = make_partnership(state="paid")
    invoice = Invoice.objects.get(partnership=partnership)
    assert not invoice.pdf

    attach_pdf(invoice)
    name = invoice.pdf.name
    with invoice.pdf.open("rb") as stored:
        first = stored.read()
    attach_pdf(Invoice.objects.get(pk=invoice.pk))  # a second call, from a fresh read

    invoice.refresh_from_db()
    assert invoice.pdf.name == name
    assert name == f"membership/invoices/{invoice.year}/{invoice.number}.pdf"
    assert first.startswith(b"%PDF-")
    assert invoice.number in pdf_text(first)
    with invoice.pdf.open("rb") as stored:
        assert stored.read() == first
    assert default_storage.listdir(f"membership/invoices/{invoice.year}")[1] == [
        f"{invoice.number}.pdf"
    ]
