"""What Fing's staff see and do in the "Demandes" admin menu and on the dashboard."""

import csv
import datetime
import io
import itertools
import json
import re

from django.contrib.auth.models import Group, Permission, User
from django.db.models import Q
from django.utils import timezone

import pytest

from editions.models import EditionPage
from membership.models import Contact, Enquiry, TopicRoute
from tests.membership_factories import think_small

pytestmark = pytest.mark.django_db

NEW, IN_PROGRESS, ANSWERED, SPAM = (s.value for s in Enquiry.State)
_numbers = itertools.count(1)


@pytest.fixture
def staff(client):
    user = User.objects.create_superuser("claire", "claire@example.org", "pw")
    user.first_name, user.last_name = "Claire", "Dupont"
    user.save()
    client.force_login(user)
    return user


@pytest.fixture
def editor(client):
    """Admin access (the Éditeurs group), and whatever the lead's migration grants it."""
    user = User.objects.create_user("editrice", "editrice@example.org", "pw")
    user.first_name, user.last_name = "Léa", "Martin"
    user.save()
    user.groups.add(Group.objects.get(name="Éditeurs"))
    client.force_login(user)
    return user


def grant(client, user, *codenames):
    """Gives `user` exactly these permissions on enquiries (on top of admin access)."""
    user.groups.clear()
    user.user_permissions.set(
        Permission.objects.filter(
            Q(content_type__app_label="wagtailadmin", codename="access_admin")
            | Q(content_type__app_label="membership", codename__in=codenames)
        )
    )
    user = User.objects.get(pk=user.pk)  # forget the cached permissions
    client.force_login(user)
    return user


@pytest.fixture
def contacts():
    """Two contacts of our own: the content may hold the brochure's, or not yet."""
    return (
        Contact.objects.create(
            name="Agnès Partenariats", role="Partenariats", email="agnes@example.org"
        ),
        Contact.objects.create(
            name="Bruno Programme", email="bruno@example.org", languages="fr, en"
        ),
    )


def make_enquiry(**fields):
    number = next(_numbers)
    values = {
        "name": f"Visiteur {number}",
        "organisation": f"Organisation {number}",
        "email": f"visiteur{number}@example.net",
        "topic": "partnership",
        "message": f"Message numéro {number}.",
        "language": "fr",
        "consent_at": timezone.now(),
    }
    values.update(fields)
    return Enquiry.objects.create(**values)


def received(enquiry, when):
    """created_at is set on creation: move it afterwards."""
    Enquiry.objects.filter(pk=enquiry.pk).update(created_at=when)
    enquiry.refresh_from_db()
    return enquiry


def content(response):
    return response.content.decode()


def read_csv(response):
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def inspect_url(enquiry):
    return f"/admin/demandes/inspect/{enquiry.pk}/"


# The inbox ------------------------------------------------------------------------------------


def test_the_demandes_menu_holds_the_inbox_the_contacts_and_the_routing(client, staff):
    menu = content(client.get("/admin/"))  # the sidebar is JSON for its script

    for label in ("Demandes", "Boîte de réception", "Contacts", "Aiguillage"):
        assert f'"label": {json.dumps(label)}' in menu
    for url in ("/admin/demandes/", "/admin/demandes/contacts/", "/admin/demandes/aiguillage/"):
        assert client.get(url).status_code == 200, url


def test_the_inbox_lists_newest_first_and_hides_spam_unless_asked(client, staff, contacts):
    agnes, _bruno = contacts
    now = timezone.now()
    older = received(make_enquiry(name="Ancienne Demande"), now - datetime.timedelta(days=3))
    newer = make_enquiry(
        name="Récente Demande",
        organisation="Ville d'Exemple",
        routed_to=agnes,
        edition=think_small(),
        assignee=staff,
        state=IN_PROGRESS,
    )
    spam = make_enquiry(name="Robot Indésirable", state=SPAM, spam_reason="honeypot")

    listing = content(client.get("/admin/demandes/"))
    only_spam = content(client.get("/admin/demandes/", {"state": SPAM}))
    everything = content(client.get("/admin/demandes/", {"state": "all"}))

    assert listing.index("Récente Demande") < listing.index("Ancienne Demande")
    assert inspect_url(newer) in listing and inspect_url(older) in listing
    for column in ("Reçue le", "Organisation", "Sujet", "Édition", "Transmise à", "Suivie par"):
        assert column in listing
    for value in ("Ville d&#x27;Exemple", "Partenariat", "Think Small", agnes.name, "En cours"):
        assert value in listing
    assert "Claire Dupont" in listing
    # Spam is left out, and the listing says so.
    assert "Robot Indésirable" not in listing
    assert "1 demande indésirable n'est pas affichée ici." in listing
    assert "?state=spam" in listing
    assert "Robot Indésirable" in only_spam and "Récente Demande" not in only_spam
    assert "n'est pas affichée" not in only_spam
    assert all(name in everything for name in ("Robot Indésirable", "Récente Demande"))
    assert spam.state == SPAM


def test_the_inbox_filters_by_state_topic_contact_assignee_edition_and_date(
    client, staff, contacts
):
    agnes, bruno = contacts
    edition = think_small()
    english_edition = EditionPage.objects.get(
        locale__language_code="en", translation_key=edition.translation_key
    )
    partnership = make_enquiry(name="Pour Agnès", routed_to=agnes, edition=edition)
    programme = make_enquiry(
        name="Pour Bruno", topic="programme", routed_to=bruno, state=IN_PROGRESS, assignee=staff
    )
    english = make_enquiry(name="From England", language="en", edition=english_edition)
    unrouted = make_enquiry(name="Sans Contact", topic="press")
    old = received(
        make_enquiry(name="Vieille Demande", state=ANSWERED),
        timezone.now() - datetime.timedelta(days=400),
    )

    def names(**params):
        page = content(client.get("/admin/demandes/", params))
        return {
            e.name
            for e in (partnership, programme, english, unrouted, old)
            if inspect_url(e) in page
        }

    assert names(state=NEW) == {"Pour Agnès", "From England", "Sans Contact"}
    assert names(state=IN_PROGRESS) == {"Pour Bruno"}
    make_enquiry(name="Robot", state=SPAM, topic="partnership")
    # The note on hidden spam counts the spam the other filters would show.
    assert "1 demande indésirable n'est pas affichée ici" in content(
        client.get("/admin/demandes/", {"topic": "partnership"})
    )
    assert "n'est pas affichée ici" not in content(
        client.get("/admin/demandes/", {"topic": "press"})
    )
    # Asking for a state leaves the spam out plainly: no note then.
    assert "n'est pas affichée ici" not in content(client.get("/admin/demandes/", {"state": NEW}))
    assert names(topic="programme") == {"Pour Bruno"}
    assert names(topic="press") == {"Sans Contact"}
    assert names(routed_to=agnes.pk) == {"Pour Agnès"}
    assert names(routed_to=bruno.pk) == {"Pour Bruno"}
    assert names(routed_to="null") == {"From England", "Sans Contact", "Vieille Demande"}
    assert names(assignee=staff.pk) == {"Pour Bruno"}
    # The French edition, also for an enquiry sent from its English page.
    assert names(edition=edition.pk) == {"Pour Agnès", "From England"}
    a_year_ago = (timezone.localdate() - datetime.timedelta(days=365)).isoformat()
    assert "Vieille Demande" not in names(created_at_from=a_year_ago)
    assert names(created_at_to=a_year_ago) == {"Vieille Demande"}
    assert names(q="england") == {"From England"}  # by name…
    assert names(q=programme.email) == {"Pour Bruno"}  # …e-mail…
    assert names(q="numéro") >= {"Pour Agnès", "Sans Contact"}  # …and message


def test_the_edition_filter_offers_french_editions_only(client, staff):
    page = content(client.get("/admin/demandes/"))

    assert page.count(">Think Small</option>") == 1


def test_the_csv_export_holds_the_filtered_rows_and_all_the_columns(client, staff, contacts):
    agnes, _bruno = contacts
    first = make_enquiry(
        routed_to=agnes,
        message="Première ligne\nSeconde ligne",
        phone="+33 1 23 45 67 89",
        notes="Rappeler lundi",
        assignee=staff,
        notified_at=timezone.now(),
    )
    formula = make_enquiry(organisation='=HYPERLINK("http://x")')
    make_enquiry(topic="programme")
    make_enquiry(state=SPAM)

    response = client.get("/admin/demandes/", {"topic": "partnership", "export": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].endswith('demandes.csv"')
    rows = read_csv(response)
    assert {row["Référence"] for row in rows} == {str(first.reference), str(formula.reference)}
    assert list(rows[0]) == [
        "Référence",
        "Reçue le",
        "État",
        "Sujet",
        "Édition",
        "Nom",
        "Organisation",
        "E-mail",
        "Téléphone",
        "Langue",
        "Message",
        "Transmise à",
        "Suivie par",
        "Notes internes",
        "Consentement donné le",
        "Transmise le",
        "Accusé de réception le",
        "Motif (indésirable)",
    ]
    row = next(r for r in rows if r["Référence"] == str(first.reference))
    assert row["État"] == "Nouvelle"
    assert row["Sujet"] == "Partenariat"
    assert row["Message"] == "Première ligne\nSeconde ligne"
    assert row["Transmise à"] == "Agnès Partenariats <agnes@example.org>"
    assert row["Suivie par"] == "Claire Dupont"
    assert row["Notes internes"] == "Rappeler lundi"
    assert row["Téléphone"] == "'+33 1 23 45 67 89"  # the formula guard, as for partnerships
    local = timezone.localtime(first.created_at).replace(microsecond=0, tzinfo=None)
    assert row["Reçue le"] == local.isoformat(" ")
    assert row["Accusé de réception le"] == ""
    # A cell a spreadsheet would run as a formula is exported as text.
    assert next(r for r in rows if r["Référence"] == str(formula.reference))[
        "Organisation"
    ].startswith("'=")


def test_the_xlsx_export_works(client, staff):
    make_enquiry()

    response = client.get("/admin/demandes/", {"export": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('demandes.xlsx"')


def test_the_enquiry_page_shows_the_whole_enquiry(client, staff, contacts):
    agnes, _bruno = contacts
    enquiry = make_enquiry(
        name="Jeanne Moreau",
        organisation="Ville de Lyon",
        email="jeanne@lyon.example",
        phone="04 00 00 00 00",
        message="Bonjour,\nNous voulons être partenaires.\n\n<b>Merci</b>",
        language="en",
        routed_to=agnes,
        consent_at=timezone.make_aware(datetime.datetime(2026, 3, 2, 9, 15)),
        notified_at=timezone.make_aware(datetime.datetime(2026, 3, 2, 9, 16)),
    )

    page = content(client.get(inspect_url(enquiry)))

    assert "Bonjour,<br>Nous voulons être partenaires.</p>" in page  # line breaks kept
    assert "&lt;b&gt;Merci&lt;/b&gt;" in page  # escaped
    for text in ("Ville de Lyon", "jeanne@lyon.example", "04 00 00 00 00", "English"):
        assert text in page
    assert "2 mars 2026 09:15" in page  # consent, in local time
    assert "Transmise à <a href=" in page and "> le 2 mars 2026 09:16." in page
    assert "Agnès Partenariats &lt;agnes@example.org&gt;, Partenariats" in page
    assert f"/admin/demandes/contacts/edit/{agnes.pk}/" in page
    assert "pas encore" in page  # no acknowledgement yet
    assert 'href="mailto:jeanne@lyon.example?subject=' in page
    # The follow-up form: state, assignee, notes, and nothing the visitor sent.
    assert f'action="/admin/demandes/edit/{enquiry.pk}/"' in page
    for field in ("state", "assignee", "notes"):
        assert f'name="{field}"' in page
    for field in ("message", "email", "name", "topic"):
        assert f'name="{field}"' not in page


def test_a_spam_enquiry_says_it_reached_nobody(client, staff, contacts):
    spam = make_enquiry(state=SPAM, spam_reason="honeypot", routed_to=contacts[0])

    page = content(client.get(inspect_url(spam)))

    assert "Aiguillée vers <a" in page and "non transmise (indésirable)." in page
    assert "Classée indésirable (honeypot)." in page
    assert "Ni le contact ni l'expéditeur n'ont reçu d'e-mail." in page


def test_following_up_changes_state_assignee_and_notes_but_nothing_sent(client, staff, contacts):
    editor = User.objects.create_user("editrice", "editrice@example.org", "pw")
    editor.first_name, editor.last_name = "Léa", "Martin"
    editor.save()
    editor.groups.add(Group.objects.get(name="Éditeurs"))  # admin access: a possible assignee
    enquiry = make_enquiry(email="origine@example.net", message="Le message d'origine.")
    other_contact = contacts[1]

    response = client.post(
        f"/admin/demandes/edit/{enquiry.pk}/",
        {
            "state": IN_PROGRESS,
            "assignee": editor.pk,
            "notes": "Appelée le 3 mars.",
            # forged fields: not in the form, so ignored
            "message": "Message remplacé",
            "email": "pirate@example.net",
            "name": "Autre nom",
            "routed_to": other_contact.pk,
            "consent_at": "2020-01-01 00:00",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == inspect_url(enquiry)
    enquiry.refresh_from_db()
    assert (enquiry.state, enquiry.assignee, enquiry.notes) == (
        IN_PROGRESS,
        editor,
        "Appelée le 3 mars.",
    )
    assert enquiry.message == "Le message d'origine."
    assert enquiry.email == "origine@example.net"
    assert enquiry.name.startswith("Visiteur")
    assert enquiry.routed_to is None
    page = content(client.get(response["Location"]))
    assert f"Demande de {enquiry.name} : en cours, suivie par Léa Martin." in page
    assert "Appelée le 3 mars." in page
    # The change is in the enquiry's history.
    assert "Claire Dupont" in content(client.get(f"/admin/demandes/history/{enquiry.pk}/"))


def test_only_staff_users_can_be_assignees(client, staff):
    outsider = User.objects.create_user("visiteur", "visiteur@example.org", "pw")
    inactive = User.objects.create_superuser("parti", "parti@example.org", "pw", is_active=False)
    enquiry = make_enquiry()

    form = content(client.get(inspect_url(enquiry)))
    response = client.post(
        f"/admin/demandes/edit/{enquiry.pk}/", {"state": NEW, "assignee": outsider.pk}
    )

    assert f'<option value="{staff.pk}">Claire Dupont</option>' in form
    assert f'value="{outsider.pk}"' not in form and f'value="{inactive.pk}"' not in form
    assert response.status_code == 200  # the form again, with the error
    assert "Sélectionnez un choix valide" in content(response)
    assert enquiry.message in content(response)  # shown again above the form
    enquiry.refresh_from_db()
    assert enquiry.assignee is None


def test_enquiries_are_not_added_from_the_admin_and_deleted_only_with_permission(
    client, staff, editor
):
    enquiry = make_enquiry()
    assert client.get("/admin/demandes/new/").status_code == 404

    grant(client, editor, "view_enquiry", "change_enquiry")
    assert client.get(f"/admin/demandes/delete/{enquiry.pk}/")["Location"] == "/admin/"
    assert client.post(f"/admin/demandes/delete/{enquiry.pk}/")["Location"] == "/admin/"
    assert "/admin/demandes/delete/" not in content(client.get(inspect_url(enquiry)))
    assert Enquiry.objects.filter(pk=enquiry.pk).exists()

    grant(client, editor, "view_enquiry", "delete_enquiry")
    assert f"/admin/demandes/delete/{enquiry.pk}/" in content(client.get(inspect_url(enquiry)))
    response = client.post(f"/admin/demandes/delete/{enquiry.pk}/")
    assert response["Location"] == "/admin/demandes/"
    assert not Enquiry.objects.filter(pk=enquiry.pk).exists()


def test_anonymous_and_unauthorised_users_cannot_see_the_inbox(client, editor):
    enquiry = make_enquiry(message="Confidentiel")
    urls = ["/admin/demandes/", inspect_url(enquiry), "/admin/demandes/?export=csv"]

    editor = grant(client, editor)  # admin access, no right on enquiries
    for url in urls:
        assert client.get(url)["Location"] == "/admin/", url
    assert '"label": "Boîte de réception"' not in content(client.get("/admin/"))
    assert "Nouvelles demandes" not in content(client.get("/admin/"))

    client.logout()
    for url in urls:
        assert client.get(url)["Location"].startswith("/admin/login/"), url


def test_a_user_who_may_only_view_enquiries_cannot_follow_them_up(client, editor):
    enquiry = make_enquiry(notes="Note interne")
    grant(client, editor, "view_enquiry")

    page = content(client.get(inspect_url(enquiry)))
    response = client.post(f"/admin/demandes/edit/{enquiry.pk}/", {"state": ANSWERED})

    assert "Note interne" in page
    assert 'name="state"' not in page
    assert response["Location"] == "/admin/"
    assert Enquiry.objects.get(pk=enquiry.pk).state == NEW


# Dashboard ------------------------------------------------------------------------------------


def dashboard_panel(client):
    page = content(client.get("/admin/"))
    start = page.find('id="new-enquiries-section"')
    if start == -1:
        return None
    return page[start : page.index("</section>", start)]


def test_the_dashboard_counts_new_enquiries_per_contact(client, staff, contacts):
    Enquiry.objects.all().delete()
    agnes, bruno = contacts
    for _ in range(3):
        make_enquiry(routed_to=agnes)
    make_enquiry(routed_to=bruno, topic="programme")
    make_enquiry(topic="press")  # routed to nobody
    make_enquiry(routed_to=bruno, state=IN_PROGRESS)  # not new
    make_enquiry(state=SPAM)

    panel = dashboard_panel(client)

    assert panel is not None and "Nouvelles demandes" in panel
    lines = [
        (agnes.name, 3, f"/admin/demandes/?state=new&amp;routed_to={agnes.pk}"),
        (bruno.name, 1, f"/admin/demandes/?state=new&amp;routed_to={bruno.pk}"),
        ("Sans contact", 1, "/admin/demandes/?state=new&amp;routed_to=null"),
    ]
    positions = []
    for name, count, url in lines:
        link = f'<a href="{url}">{name}</a></div></td>\n                        <td>{count}</td>'
        assert link in panel, name
        positions.append(panel.index(link))
    assert positions == sorted(positions)
    assert '<a href="/admin/demandes/?state=new">Toutes les nouvelles demandes</a>' in panel
    assert "<td>5</td>" in panel
    # Each line opens the inbox on that contact's new enquiries.
    filtered = content(client.get(f"/admin/demandes/?state=new&routed_to={agnes.pk}"))
    assert len(set(re.findall(r"/admin/demandes/inspect/(\d+)/", filtered))) == 3


def test_the_dashboard_says_when_there_is_no_new_enquiry(client, staff):
    Enquiry.objects.all().delete()
    make_enquiry(state=ANSWERED)

    assert "Aucune nouvelle demande." in dashboard_panel(client)


def test_the_dashboard_panel_is_for_users_who_may_view_enquiries(client, editor):
    make_enquiry()

    grant(client, editor)
    assert dashboard_panel(client) is None

    grant(client, editor, "view_enquiry")
    assert dashboard_panel(client) is not None


# Contacts and routing -------------------------------------------------------------------------


def test_contacts_are_listed_with_the_topics_they_receive(client, staff, contacts):
    agnes, _bruno = contacts
    TopicRoute.objects.update_or_create(topic="press", defaults={"contact": agnes})

    listing = content(client.get("/admin/demandes/contacts/"))

    assert "Agnès Partenariats" in listing and "agnes@example.org" in listing
    assert "Presse" in listing


def test_a_contact_is_created_with_normalised_languages(client, staff):
    data = {"name": "Chloé Presse", "role": "", "email": "chloe@example.org", "active": "on"}

    refused = client.post("/admin/demandes/contacts/new/", {**data, "languages": "fr, de"})
    created = client.post("/admin/demandes/contacts/new/", {**data, "languages": "EN fr;en"})

    assert refused.status_code == 200
    assert "Codes de langue possibles : fr, en" in content(refused)
    assert created.status_code == 302
    assert Contact.objects.get(email="chloe@example.org").languages == "en, fr"


def test_a_contact_that_still_receives_a_topic_cannot_be_deleted(client, staff, contacts):
    agnes, bruno = contacts
    TopicRoute.objects.update_or_create(topic="press", defaults={"contact": agnes})

    client.post(f"/admin/demandes/contacts/delete/{agnes.pk}/")
    client.post(f"/admin/demandes/contacts/delete/{bruno.pk}/")

    assert Contact.objects.filter(pk=agnes.pk).exists()
    assert not Contact.objects.filter(pk=bruno.pk).exists()


def test_a_topic_is_routed_to_one_contact_only(client, staff, contacts):
    agnes, bruno = contacts
    TopicRoute.objects.update_or_create(topic="press", defaults={"contact": agnes})

    duplicate = client.post(
        "/admin/demandes/aiguillage/new/", {"topic": "press", "contact": bruno.pk}
    )
    route = TopicRoute.objects.get(topic="press")
    moved = client.post(
        f"/admin/demandes/aiguillage/edit/{route.pk}/", {"topic": "press", "contact": bruno.pk}
    )

    assert duplicate.status_code == 200
    assert (
        "Le sujet « Presse » est déjà aiguillé vers Agnès Partenariats : modifiez cette ligne "
        "de l&#x27;aiguillage plutôt que d&#x27;en ajouter une seconde." in content(duplicate)
    )
    assert moved.status_code == 302
    assert TopicRoute.objects.get(topic="press").contact == bruno


def test_the_routing_table_warns_about_topics_nobody_receives(client, staff, contacts):
    agnes, bruno = contacts
    TopicRoute.objects.update_or_create(topic="partnership", defaults={"contact": agnes})
    TopicRoute.objects.update_or_create(topic="programme", defaults={"contact": bruno})
    TopicRoute.objects.filter(topic="other").delete()
    inactive = Contact.objects.create(name="Parti Ailleurs", email="p@example.org", active=False)
    TopicRoute.objects.update_or_create(topic="press", defaults={"contact": inactive})

    page = content(client.get("/admin/demandes/aiguillage/"))

    assert "Sujets sans contact actif : Presse, Autre." in page
    assert "Ces demandes vont au contact du programme" in page
    # An inactive contact cannot be chosen for a new route.
    assert "Parti Ailleurs" not in content(client.get("/admin/demandes/aiguillage/new/"))


@pytest.mark.parametrize("group", ["Éditeurs", "Relecteurs"])
def test_editorial_groups_work_the_inbox(client, group):
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user(f"membre-{group}", password="pw")
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)

    assert client.get("/admin/demandes/").status_code == 200
    assert client.get("/admin/demandes/contacts/").status_code == 200
    assert user.has_perm("membership.delete_enquiry") == (group == "Relecteurs")
