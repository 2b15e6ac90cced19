"""What editors get in the admin: French interface, groups, libraries, workflow, exports."""

from django.contrib.auth.models import Group, User

from wagtail.models import Page

import pytest

from editions.models import EditionPage

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    user = User.objects.create_user("editrice", "editrice@example.org", "pw")
    user.groups.add(Group.objects.get(name="Éditeurs"))
    client.force_login(user)
    return user


def test_admin_speaks_french_by_default(client):
    admin = User.objects.create_superuser("admin", "admin@example.org", "pw")
    client.force_login(admin)

    response = client.get("/admin/")

    assert response.status_code == 200
    assert '<html lang="fr"' in response.content.decode()
    assert "Tableau de bord" in response.content.decode()


def test_editor_edits_pages_and_uses_the_libraries_but_cannot_publish(client, editor, fr):
    edition = EditionPage.objects.get(locale=fr, start_year=2016)
    permissions = edition.permissions_for_user(editor)

    assert permissions.can_edit()
    assert permissions.can_add_subpage()
    assert not permissions.can_publish()
    assert client.get(f"/admin/pages/{edition.pk}/edit/").status_code == 200
    assert client.get("/admin/images/").status_code == 200
    assert client.get("/admin/documents/").status_code == 200
    assert client.get("/admin/snippets/editions/partner/").status_code == 200


def test_the_whole_tree_is_under_the_relecture_workflow(fr):
    for page in Page.objects.filter(depth__gt=1):
        assert page.get_workflow().name == "Relecture"


def test_translation_report_exports_csv(client, editor, fr):
    response = client.get("/admin/reports/translations/", {"export": "csv"})

    assert response.status_code == 200
    rows = b"".join(response.streaming_content if response.streaming else [response.content])
    lines = rows.decode().strip().splitlines()
    assert lines[0].split(",")[:2] == ["Page", "Type"]
    assert len(lines) - 1 == Page.objects.filter(depth__gt=1, locale=fr).count() * 2
