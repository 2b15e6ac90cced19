"""Invoice PDFs: what a partner reads on them, in their language, that they are stored once,
in private storage that no media route serves."""

import base64
import datetime
import importlib
import re
import zlib
from pathlib import Path
from urllib.parse import urlparse

from django.apps import apps
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import re_path
from django.views.static import serve

import pytest
import time_machine

from membership import services
from membership.documents import attach_pdf, format_money, invoice_document, render_invoice_pdf
from membership.models import Invoice, PaymentMethod, Tier
from membership.partner_space import magic_link_url
from membership.storage import private_storage
from portal.urls import urlpatterns as portal_urlpatterns
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
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")


def serve_media(request, path):
    """The /media/ route `portal.urls` adds when DEBUG is on (`static()`), reading MEDIA_ROOT
    when the request comes, like a production web server publishing MEDIA_ROOT."""
    return serve(request, path, document_root=django_settings.MEDIA_ROOT)


# The site's URLs with the development media route (tests run with DEBUG off, without it).
urlpatterns = [re_path(r"^media/(?P<path>.*)$", serve_media), *portal_urlpatterns]


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
    assert private_storage().listdir(f"membership/invoices/{invoice.year}")[1] == [
        f"{invoice.number}.pdf"
    ]


@pytest.mark.urls(__name__)
def test_invoice_pdfs_are_private_files_no_media_route_serves(client, settings, bank):
    partnership = make_partnership(state="awaiting_payment", payment_method=PaymentMethod.TRANSFER)
    invoice = attach_pdf(Invoice.objects.get(partnership=partnership))
    default_storage.save("public.txt", ContentFile(b"public"))  # what the route does serve
    assert client.get("/media/public.txt").status_code == 200

    path = Path(invoice.pdf.path)

    assert path.is_file()
    assert path.is_relative_to(settings.PRIVATE_MEDIA_ROOT)
    assert not path.is_relative_to(settings.MEDIA_ROOT)
    assert not default_storage.exists(invoice.pdf.name)
    with pytest.raises(ValueError, match="not accessible via a URL"):
        invoice.pdf.url  # noqa: B018 (the property raises)
    assert client.get(f"/media/{invoice.pdf.name}").status_code == 404


def test_the_guarded_views_serve_the_private_pdf(client, bank):
    partnership = make_partnership(state="awaiting_payment", payment_method=PaymentMethod.TRANSFER)
    invoice = attach_pdf(Invoice.objects.get(partnership=partnership))
    with invoice.pdf.open("rb") as stored:
        stored_pdf = stored.read()
    admin_url = f"/admin/partenariats/facture/{invoice.pk}/pdf/"
    assert client.get(admin_url)["Location"].startswith("/admin/login/")

    client.force_login(User.objects.create_superuser("compta", "compta@example.org", "pw"))
    from_admin = client.get(admin_url)
    client.logout()
    client.get(urlparse(magic_link_url(partnership)).path)  # the partner's own space
    from_space = client.get(f"/fr/espace-partenaire/factures/{invoice.number}.pdf")

    assert from_admin.status_code == from_space.status_code == 200
    assert b"".join(from_admin.streaming_content) == stored_pdf
    assert b"".join(from_space.streaming_content) == stored_pdf


def test_the_existing_public_files_move_to_private_storage(settings):
    """Migration 0006 moves invoices stored under MEDIA_ROOT before it to the private folder."""
    migration = importlib.import_module("membership.migrations.0006_private_files")
    partnership = make_partnership(state="paid")
    invoice = Invoice.objects.get(partnership=partnership)
    name = f"membership/invoices/{invoice.year}/{invoice.number}.pdf"
    assert default_storage.save(name, ContentFile(b"%PDF-1.4 old")) == name
    Invoice.objects.filter(pk=invoice.pk).update(pdf=name)

    migration.to_private(apps, None)

    assert not default_storage.exists(name)
    invoice.refresh_from_db()
    assert invoice.pdf.name == name
    with invoice.pdf.open("rb") as moved:
        assert moved.read() == b"%PDF-1.4 old"


# Paid transfers: the invoice marked paid ------------------------------------------------------


def test_a_paid_transfer_invoice_is_marked_paid_and_the_stored_one_is_unchanged(bank):
    partnership = make_partnership(state="awaiting_payment", payment_method=PaymentMethod.TRANSFER)
    invoice = attach_pdf(Invoice.objects.get(partnership=partnership))
    with invoice.pdf.open("rb") as stored:
        issued = stored.read()
    assert "Acquittée" not in pdf_text(invoice_document(invoice))

    with time_machine.travel(datetime.datetime(2027, 1, 12, 10, 0, tzinfo=datetime.UTC)):
        services.mark_paid(partnership, "Virement reçu")
    invoice = Invoice.objects.get(pk=invoice.pk)

    text = flat(pdf_text(invoice_document(invoice)))
    assert "Acquittée le 12 janvier 2027" in text
    assert f"Facture n° {invoice.number}" in text
    assert "30 000,00 €" in text
    with invoice.pdf.open("rb") as stored:
        assert stored.read() == issued  # the issued document itself never changes


def test_an_english_paid_transfer_invoice_says_paid_on(bank):
    partnership = make_partnership(
        state="awaiting_payment", payment_method=PaymentMethod.TRANSFER, language="en"
    )
    with time_machine.travel(datetime.datetime(2027, 1, 12, 10, 0, tzinfo=datetime.UTC)):
        services.mark_paid(partnership, "Transfer received")
    invoice = Invoice.objects.get(partnership=partnership)

    text = flat(pdf_text(invoice_document(invoice)))

    assert "Paid on Jan. 12, 2027" in text
    assert "Description" in text  # the line's column, translated (it used to stay French)
    assert "Désignation" not in text


def test_a_private_folder_inside_media_root_fails_the_system_check(settings):
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    settings.PRIVATE_MEDIA_ROOT = str(Path(settings.MEDIA_ROOT) / "private")

    with pytest.raises(SystemCheckError, match="membership.E001"):
        call_command("check")
