"""What Fing's staff see and do in the "Partenariats" admin menu."""

import csv
import io
import json

from django.contrib.auth.models import Group, Permission, User
from django.core.files.base import ContentFile

import pytest

from membership.models import (
    Partnership,
    PartnershipState,
    PaymentMethod,
    Price,
    ProgrammeEvent,
    WebhookEvent,
)
from tests.membership_factories import make_partnership, think_small

try:
    from membership.payments import handlers as payment_handlers
    from membership.payments.handlers import replay  # noqa: F401  (what the admin calls)
except ImportError as error:  # the payments work is written separately
    payment_handlers = None
    REPLAY_MISSING = f"membership.payments.handlers.replay cannot be imported: {error}"
else:
    REPLAY_MISSING = ""

pytestmark = pytest.mark.django_db

AWAITING = PartnershipState.AWAITING_PAYMENT


@pytest.fixture
def staff(client):
    user = User.objects.create_superuser("claire", "claire@example.org", "pw")
    user.first_name, user.last_name = "Claire", "Dupont"
    user.save()
    client.force_login(user)
    return user


@pytest.fixture
def editor(client):
    """Admin access (the Éditeurs group) but no right on partnerships."""
    user = User.objects.create_user("editrice", "editrice@example.org", "pw")
    user.groups.add(Group.objects.get(name="Éditeurs"))
    client.force_login(user)
    return user


def content(response):
    return response.content.decode()


def read_csv(response):
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def test_the_partnerships_menu_holds_the_five_listings(client, staff):
    menu = content(client.get("/admin/"))  # the sidebar is JSON for its script

    for label in (
        "Partenariats",
        "Adhérents",
        "Tarifs",
        "Dates du programme",
        "Événements Stripe",
    ):
        assert f'"label": {json.dumps(label)}' in menu
    for url in (
        "/admin/partenariats/",
        "/admin/adherents/",
        "/admin/tarifs/",
        "/admin/dates-du-programme/",
        "/admin/evenements-stripe/",
    ):
        assert client.get(url).status_code == 200, url


def test_the_list_shows_the_columns_and_filters_by_state(client, staff):
    draft = make_partnership(legal_name="Brouillon & Cie")
    waiting = make_partnership(state=AWAITING, payment_method=PaymentMethod.TRANSFER)
    paid = make_partnership(state=PartnershipState.PAID, tier="adherent", amount_cents=2_000_000)

    everything = content(client.get("/admin/partenariats/"))
    only_paid = content(client.get("/admin/partenariats/", {"state": "paid"}))

    for partnership in (draft, waiting, paid):
        assert partnership.reference in everything
    assert "Brouillon &amp; Cie" in everything
    assert "Think Small" in everything
    assert "20\u00a0000\u00a0€" in everything
    assert paid.reference in only_paid
    assert draft.reference not in only_paid and waiting.reference not in only_paid


def test_the_list_filters_by_edition_and_tier_and_searches(client, staff):
    adherent = make_partnership(tier="adherent", contact_email="lea@ville-exemple.fr")
    other = make_partnership()

    by_tier = content(client.get("/admin/partenariats/", {"tier": "adherent"}))
    by_edition = content(client.get("/admin/partenariats/", {"edition": think_small().pk}))
    by_email = content(client.get("/admin/partenariats/", {"q": "ville-exemple"}))

    assert adherent.reference in by_tier and other.reference not in by_tier
    assert adherent.reference in by_edition and other.reference in by_edition
    assert adherent.reference in by_email and other.reference not in by_email


def test_the_csv_export_holds_the_filtered_rows(client, staff):
    make_partnership()
    first = make_partnership(state=AWAITING, payment_method=PaymentMethod.TRANSFER)
    second = make_partnership(state=AWAITING, legal_name='=HYPERLINK("http://x")')

    response = client.get("/admin/partenariats/", {"state": AWAITING, "export": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = read_csv(response)
    assert {row["Référence"] for row in rows} == {first.reference, second.reference}
    row = next(r for r in rows if r["Référence"] == first.reference)
    assert row["État"] == "En attente de paiement"
    assert row["Montant (€)"] == "25000"
    assert row["Moyen de paiement"] == "Virement sur facture"
    assert row["Factures"] == first.invoices.get().number
    # A name that a spreadsheet would run as a formula is exported as text.
    formula = next(r for r in rows if r["Référence"] == second.reference)
    assert formula["Raison sociale"].startswith("'=")


def test_the_xlsx_export_works(client, staff):
    make_partnership()

    response = client.get("/admin/partenariats/", {"export": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('partenariats.xlsx"')


def test_the_detail_page_shows_the_fields_history_and_invoices(client, staff):
    partnership = make_partnership(state=PartnershipState.PAID, purchase_order="BC-2026-42")

    page = content(client.get(f"/admin/partenariats/inspect/{partnership.pk}/"))

    assert partnership.legal_name in page
    assert "BC-2026-42" in page
    assert "Historique des états" in page
    assert "Paiement en ligne (card) commencé" in page  # draft → awaiting payment
    assert "Test : paiement reçu" in page  # awaiting payment → paid
    assert "Brouillon" in page and "Payé" in page
    assert partnership.invoices.get().number in page
    assert "pas encore généré" in page  # no PDF yet
    assert "Enregistrer le virement reçu" not in page
    assert "Marquer remboursé" in page


def test_invoice_pdfs_are_served_to_staff_only(client, staff, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    partnership = make_partnership(state=AWAITING, payment_method=PaymentMethod.TRANSFER)
    invoice = partnership.invoices.get()
    invoice.pdf.save(f"{invoice.number}.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    url = f"/admin/partenariats/facture/{invoice.pk}/pdf/"
    assert url in content(client.get(f"/admin/partenariats/inspect/{partnership.pk}/"))

    response = client.get(url)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"
    client.logout()
    assert client.get(url)["Location"].startswith("/admin/login/")


def test_partnerships_cannot_be_added_nor_deleted_from_the_admin(client, staff):
    partnership = make_partnership()

    assert client.get("/admin/partenariats/new/").status_code == 404
    assert client.get(f"/admin/partenariats/delete/{partnership.pk}/").status_code == 404
    edit = client.get(f"/admin/partenariats/edit/{partnership.pk}/")
    assert edit.status_code == 200
    assert 'name="state"' not in content(edit)
    assert 'name="amount_cents"' not in content(edit)
    assert 'name="billing_email"' in content(edit)


def test_recording_a_transfer_marks_the_partnership_paid(client, staff):
    partnership = make_partnership(state=AWAITING, payment_method=PaymentMethod.TRANSFER)
    detail = f"/admin/partenariats/inspect/{partnership.pk}/"
    action = f"/admin/partenariats/virement-recu/{partnership.pk}/"
    assert action in content(client.get(detail))

    confirmation = client.get(action)
    assert confirmation.status_code == 200
    assert "Oui : Enregistrer le virement reçu" in content(confirmation)
    assert Partnership.objects.get(pk=partnership.pk).state == AWAITING  # GET changes nothing

    response = client.post(action)

    assert response.status_code == 302 and response["Location"] == detail
    partnership.refresh_from_db()
    assert partnership.state == PartnershipState.PAID
    last = partnership.transitions.last()
    assert last.cause == "Virement reçu, enregistré par Claire Dupont"
    assert last.actor == staff
    assert "est payé" in content(client.get(detail))

    again = client.post(action)  # a second click changes nothing
    assert again.status_code == 302
    assert partnership.transitions.filter(to_state=PartnershipState.PAID).count() == 1


def test_an_abandoned_card_payment_can_still_be_settled_by_transfer(client, staff):
    partnership = make_partnership(state=AWAITING, payment_method=PaymentMethod.CARD)

    client.post(f"/admin/partenariats/virement-recu/{partnership.pk}/", follow=True)

    assert Partnership.objects.get(pk=partnership.pk).state == PartnershipState.PAID


def test_a_draft_cannot_be_recorded_as_paid(client, staff):
    partnership = make_partnership(state="draft")

    response = client.post(f"/admin/partenariats/virement-recu/{partnership.pk}/", follow=True)

    assert Partnership.objects.get(pk=partnership.pk).state == "draft"
    assert "Action impossible" in content(response)


def test_anonymous_and_unauthorised_users_cannot_record_a_transfer(client, editor):
    partnership = make_partnership(state=AWAITING, payment_method=PaymentMethod.TRANSFER)
    action = f"/admin/partenariats/virement-recu/{partnership.pk}/"

    refused = client.post(action)  # admin access, but no right on partnerships
    assert (refused.status_code, refused["Location"]) == (302, "/admin/")

    # Allowed to look at partnerships, not to change them.
    editor.user_permissions.add(Permission.objects.get(codename="view_partnership"))
    client.force_login(User.objects.get(pk=editor.pk))
    assert client.get(f"/admin/partenariats/inspect/{partnership.pk}/").status_code == 200
    assert client.post(action)["Location"] == "/admin/"

    client.logout()
    anonymous = client.post(action)
    assert anonymous["Location"].startswith("/admin/login/")

    assert Partnership.objects.get(pk=partnership.pk).state == AWAITING


def test_cancel_and_refund_go_through_the_services_with_a_reason(client, staff):
    draft = make_partnership()
    paid = make_partnership(state=PartnershipState.PAID)

    client.post(f"/admin/partenariats/annuler/{draft.pk}/", {"reason": "Doublon"})
    client.post(f"/admin/partenariats/rembourse/{paid.pk}/", {"reason": "Virement retourné"})

    draft.refresh_from_db()
    paid.refresh_from_db()
    assert draft.state == PartnershipState.CANCELLED
    assert draft.transitions.last().cause == "Annulé par Claire Dupont : Doublon"
    assert paid.state == PartnershipState.REFUNDED
    assert paid.transitions.last().cause == (
        "Remboursement enregistré par Claire Dupont : Virement retourné"
    )
    # A cancelled partnership offers no more actions.
    page = content(client.get(f"/admin/partenariats/inspect/{draft.pk}/"))
    assert "Cet état est définitif." in page


def test_prices_and_programme_dates_are_edited_by_staff(client, staff):
    edition = think_small()
    Price.objects.filter(edition=edition).delete()
    form = content(client.get("/admin/tarifs/new/"))
    assert form.count(">Think Small</option>") == 1  # the French edition, not its translation

    created = client.post(
        "/admin/tarifs/new/",
        {"edition": edition.pk, "tier": "adherent", "amount_cents": "2000000"},
    )
    event = client.post(
        "/admin/dates-du-programme/new/",
        {
            "edition": edition.pk,
            "kind": "steering",
            "title": "Comité de pilotage n° 1",
            "starts_at": "2026-06-12 09:30",
            "ends_at": "2026-06-12 12:30",
            "location": "Paris",
        },
    )

    assert created.status_code == 302, content(created)
    assert Price.objects.get(edition=edition, tier="adherent").amount_cents == 2_000_000
    assert event.status_code == 302, content(event)
    assert ProgrammeEvent.objects.get(title="Comité de pilotage n° 1").location == "Paris"
    assert "20\u00a0000\u00a0€" in content(client.get("/admin/tarifs/"))


# Stripe events -----------------------------------------------------------------------------


def make_event(stripe_id, status=WebhookEvent.Status.FAILED, partnership=None, **payload):
    return WebhookEvent.objects.create(
        stripe_id=stripe_id,
        type="customer.created",
        payload={"id": stripe_id, "type": "customer.created", "data": {"object": payload}},
        status=status,
        error="Ancienne erreur",
        partnership=partnership,
    )


def test_events_are_listed_filtered_and_shown_with_their_payload(client, staff):
    partnership = make_partnership()
    failed = make_event("evt_failed", partnership=partnership, email="léa@example.org")
    make_event("evt_done", status=WebhookEvent.Status.PROCESSED)

    listing = content(client.get("/admin/evenements-stripe/", {"status": "failed"}))
    detail = content(client.get(f"/admin/evenements-stripe/inspect/{failed.pk}/"))

    assert "evt_failed" in listing and "evt_done" not in listing
    assert partnership.reference in listing
    assert '"email": "léa@example.org"' in detail.replace("&quot;", '"')
    assert f"/admin/partenariats/inspect/{partnership.pk}/" in detail
    assert client.get(f"/admin/evenements-stripe/edit/{failed.pk}/").status_code == 404
    assert client.get("/admin/evenements-stripe/new/").status_code == 404


@pytest.fixture
def replay_calls(monkeypatch):
    """Records the events the admin asks the payments code to replay (the real replay runs)."""
    if payment_handlers is None:
        pytest.skip(REPLAY_MISSING)
    calls = []
    real_replay = payment_handlers.replay

    def recording_replay(event):
        calls.append(event.stripe_id)
        return real_replay(event)

    monkeypatch.setattr(payment_handlers, "replay", recording_replay)
    return calls


def test_replaying_one_event_calls_replay(client, staff, replay_calls):
    event = make_event("evt_one")
    replay_url = f"/admin/evenements-stripe/rejouer/{event.pk}/"
    assert replay_url in content(client.get(f"/admin/evenements-stripe/inspect/{event.pk}/"))
    assert "Oui, rejouer" in content(client.get(replay_url))
    assert replay_calls == []

    response = client.post(replay_url, follow=True)

    assert replay_calls == ["evt_one"]
    event.refresh_from_db()
    assert event.attempts == 1
    assert event.status != WebhookEvent.Status.FAILED  # an unhandled type is set aside
    assert "rejoué" in content(response)


def test_replaying_selected_events_calls_replay_for_each(client, staff, replay_calls):
    first, second = make_event("evt_a"), make_event("evt_b")
    make_event("evt_not_selected")
    url = (
        f"/admin/bulk/membership/webhookevent/replay/?id={first.pk}&id={second.pk}"
        "&next=/admin/evenements-stripe/"
    )

    confirmation = client.get(url)
    assert confirmation.status_code == 200
    assert "evt_a" in content(confirmation) and "evt_not_selected" not in content(confirmation)

    response = client.post(url, follow=True)

    assert sorted(replay_calls) == ["evt_a", "evt_b"]
    assert "2 événements rejoués." in content(response)


def test_only_users_allowed_to_change_events_may_replay_them(client, editor, replay_calls):
    event = make_event("evt_forbidden")
    editor.user_permissions.add(Permission.objects.get(codename="view_webhookevent"))
    client.force_login(User.objects.get(pk=editor.pk))

    assert client.get(f"/admin/evenements-stripe/inspect/{event.pk}/").status_code == 200
    assert client.post(f"/admin/evenements-stripe/rejouer/{event.pk}/")["Location"] == "/admin/"
    assert (
        client.post(f"/admin/bulk/membership/webhookevent/replay/?id={event.pk}")["Location"]
        == "/admin/"
    )
    assert replay_calls == []


def test_state_changes_payments_and_exports_reach_the_audit_trail(client, staff):
    from wagtail.models import ModelLogEntry

    partnership = make_partnership(state=PartnershipState.PAID)
    entries = ModelLogEntry.objects.filter(object_id=str(partnership.pk))
    actions = list(entries.order_by("timestamp").values_list("action", flat=True))
    assert "membership.transition" in actions  # draft → awaiting payment
    assert actions[-1] == "membership.payment"
    paid = entries.get(action="membership.payment")
    assert paid.data["to"] == PartnershipState.PAID and paid.data["cause"]

    client.get("/admin/partenariats/", {"export": "csv"})
    export = ModelLogEntry.objects.get(action="portal.export")
    assert export.user_id == staff.pk
    assert export.data == {"model": "membership.Partnership", "format": "csv", "rows": 1}
    # Staff read it in the admin's site history.
    history = client.get("/admin/reports/site-history/").content.decode()
    assert "Paiement enregistré" in history and "Données exportées" in history
