"""The adhérent registry in the admin: its list, and its CSV import with progress and errors."""

import datetime
from pathlib import Path

from django.contrib.auth.models import Group, Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile

import pytest

from membership import registry_import
from membership.models import Adherent, AdherentImport
from portal.celery import app as celery_app

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/adherents/import/"


@pytest.fixture(autouse=True)
def eager_celery(settings, tmp_path):
    """Run the import task in-process, as the dev setup does (CI configures a broker)."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private")
    saved = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved


@pytest.fixture
def admin(client):
    user = User.objects.create_superuser("admin", "admin@example.org", "pw")
    client.force_login(user)
    return user


def csv_file(text, name="adherents.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def upload(client, django_capture_on_commit_callbacks, file):
    """Post the file as an editor does, with the task running once the request commits."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(IMPORT_URL, {"file": file})
    return response


def latest_import():
    return AdherentImport.objects.latest("created_at")


def test_good_rows_are_created_or_updated(client, admin, django_capture_on_commit_callbacks):
    Adherent.objects.create(
        organisation="Ancien nom", membership_number="FING-001", valid_from="2020-01-01"
    )
    text = (
        "organisation,membership_number,email_domains,valid_from,valid_to\n"
        "Ville de Brest,FING-001,brest.fr; brest-metropole.fr,2024-01-01,2026-12-31\n"
        'Coopérative Numérique,fing-002,"coop.example.org exemple.coop",01/03/2025,\n'
        "Région Exemple,FING-003,,2025-01-01,31/12/2027\n"
    )

    response = upload(client, django_capture_on_commit_callbacks, csv_file(text))

    registry_import_ = latest_import()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/adherents/import/{registry_import_.pk}/"
    assert registry_import_.status == AdherentImport.Status.DONE
    assert (registry_import_.created_count, registry_import_.updated_count) == (2, 1)
    assert registry_import_.errors == []
    assert registry_import_.created_by == admin

    brest = Adherent.objects.get(membership_number="FING-001")
    assert brest.organisation == "Ville de Brest"
    assert brest.domains == ["brest-metropole.fr", "brest.fr"]
    assert brest.valid_to == datetime.date(2026, 12, 31)
    coop = Adherent.objects.get(membership_number="FING-002")  # numbers are upper-cased
    assert coop.valid_from == datetime.date(2025, 3, 1)
    assert coop.valid_to is None
    assert coop.domains == ["coop.example.org", "exemple.coop"]
    assert Adherent.objects.get(membership_number="FING-003").valid_to == datetime.date(
        2027, 12, 31
    )

    page = client.get(response["Location"]).content.decode()
    assert "Terminé" in page
    assert 'value="100"' in page
    assert "2 créée(s), 1 mise(s) à jour" in page
    assert "Toutes les lignes ont été importées." in page


def test_bad_rows_are_listed_with_their_line_numbers_and_the_others_imported(
    client, admin, django_capture_on_commit_callbacks
):
    text = (
        "organisation,membership_number,email_domains,valid_from,valid_to\n"  # line 1
        "Bonne Ligne,FING-010,,2025-01-01,\n"  # line 2
        "Date Impossible,FING-011,,31/02/2026,\n"  # line 3
        ",FING-012,,2025-01-01,\n"  # line 4
        "Domaine Faux,FING-013,pas un domaine,2025-01-01,\n"  # line 5
        "Fin Avant Début,FING-014,,2025-06-01,2025-01-01\n"  # line 6
        "Doublon,FING-010,,2025-01-01,\n"  # line 7
        "\n"  # line 8, blank: skipped
        "Dernière Bonne,FING-015,exemple.fr,2025-01-01,2030-01-01\n"  # line 9
    )

    response = upload(client, django_capture_on_commit_callbacks, csv_file(text))

    registry_import_ = latest_import()
    assert registry_import_.status == AdherentImport.Status.DONE
    assert registry_import_.total_rows == registry_import_.processed_rows == 7
    assert set(Adherent.objects.values_list("membership_number", flat=True)) == {
        "FING-010",
        "FING-015",
    }
    messages = [error["message"] for error in registry_import_.errors]
    assert "ligne 3 : date de début invalide « 31/02/2026 »" in messages
    assert "ligne 4 : organisation manquante" in messages
    assert "ligne 5 : domaine e-mail invalide « pas »" in messages
    assert any(m.startswith("ligne 6 : la date de fin") for m in messages)
    assert "ligne 7 : numéro d'adhérent « FING-010 » déjà présent ligne 2" in messages
    assert {e["line"] for e in registry_import_.errors} == {3, 4, 5, 6, 7}
    assert {e["column"] for e in registry_import_.errors if e["line"] == 3} == {"valid_from"}

    page = client.get(response["Location"]).content.decode()
    assert "ligne 3 : date de début invalide « 31/02/2026 »" in page
    assert "5 en erreur" in page


def test_semicolons_a_bom_and_french_headers_are_understood(
    client, admin, django_capture_on_commit_callbacks
):
    text = (
        "\ufeffOrganisation;Numéro d'adhérent;Domaines;Début;Fin\r\n"
        "Métropole de Lyon;FING-100;grandlyon.com lyon.fr;01/01/2025;31/12/2026\r\n"
        'Université Exemple;FING-101;"univ.fr;etu.univ.fr";15/09/2024;\r\n'
    )

    upload(client, django_capture_on_commit_callbacks, csv_file(text))

    assert latest_import().status == AdherentImport.Status.DONE
    assert latest_import().errors == []
    lyon = Adherent.objects.get(membership_number="FING-100")
    assert lyon.organisation == "Métropole de Lyon"
    assert lyon.domains == ["grandlyon.com", "lyon.fr"]
    assert lyon.valid_from == datetime.date(2025, 1, 1)
    assert Adherent.objects.get(membership_number="FING-101").domains == [
        "etu.univ.fr",
        "univ.fr",
    ]


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (
            SimpleUploadedFile("registre.xlsx", b"PK\x03\x04rest-of-a-workbook"),
            "n&#x27;est pas un fichier CSV",
        ),
        (
            SimpleUploadedFile("registre.csv", b"PK\x03\x04\x14\x00\x06\x00rest-of-a-workbook"),
            "n&#x27;est pas un fichier texte CSV",
        ),
        (
            SimpleUploadedFile("registre.csv", b"organisation\n" + b"x" * (2 * 1024 * 1024)),
            "la taille maximale est de 2,0",
        ),
        (SimpleUploadedFile("registre.csv", b"\n \n"), "Le fichier est vide."),
    ],
    ids=["xlsx-extension", "workbook-named-csv", "too-large", "empty"],
)
def test_a_file_that_is_not_a_small_csv_is_refused_and_nothing_is_imported(
    client, admin, django_capture_on_commit_callbacks, file, message
):
    response = upload(client, django_capture_on_commit_callbacks, file)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not AdherentImport.objects.exists()
    assert not Adherent.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            # Neither UTF-8 nor Windows-1252 (0x81 has no character in Windows-1252)
            "organisation;numéro;début\n".encode() + b"Caf\x81 \xe9;FING-200;2025-01-01\n",
            "n'est encodé ni en UTF-8 ni en Windows-1252 (premier caractère illisible ligne 2)",
        ),
        (
            b";;;\nVille,FING-201,,2025-01-01,\n",
            "Colonnes obligatoires absentes : organisation, numéro d'adhérent, début.",
        ),
        (
            b"organisation,membership_number\nSans Dates,FING-201\n",
            "Colonnes obligatoires absentes : début.",
        ),
    ],
    ids=["unknown-encoding", "no-header", "missing-column"],
)
def test_an_unreadable_csv_fails_with_a_message_and_imports_nothing(
    client, admin, django_capture_on_commit_callbacks, content, message
):
    file = SimpleUploadedFile("adherents.csv", content, content_type="text/csv")

    response = upload(client, django_capture_on_commit_callbacks, file)

    registry_import_ = latest_import()
    assert registry_import_.status == AdherentImport.Status.FAILED
    assert message in registry_import_.errors[0]["message"]
    assert not Adherent.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "Import impossible" in page
    assert "Aucun adhérent n'a été importé depuis ce fichier." in page
    # No row was read: no count of errors next to the failure
    assert "0 erreur" not in page
    assert "en erreur" not in page
    assert "Toutes les lignes ont été importées." not in page


def test_a_windows_1252_file_from_french_excel_is_imported(
    client, admin, django_capture_on_commit_callbacks
):
    """French Excel's plain « CSV » is Windows-1252, semicolon separated."""
    text = (
        "Organisation;Numéro d'adhérent;Domaines;Début;Fin\r\n"
        "Café Électronique – Coopérative;FING-200;café.fr;01/01/2025;\r\n"
        "Œuvres numériques;FING-201;;01/02/2025;31/12/2026\r\n"
    )

    upload(client, django_capture_on_commit_callbacks, csv_file(text, encoding="cp1252"))

    assert latest_import().status == AdherentImport.Status.DONE
    assert latest_import().errors == []
    cafe = Adherent.objects.get(membership_number="FING-200")
    assert cafe.organisation == "Café Électronique – Coopérative"
    assert cafe.domains == ["café.fr"]
    assert Adherent.objects.get(membership_number="FING-201").organisation == "Œuvres numériques"


def test_a_utf_8_file_is_not_read_as_windows_1252(
    client, admin, django_capture_on_commit_callbacks
):
    text = "organisation,membership_number,valid_from\nÉcole Numérique,FING-210,2025-01-01\n"

    upload(client, django_capture_on_commit_callbacks, csv_file(text))

    assert Adherent.objects.get(membership_number="FING-210").organisation == "École Numérique"


def test_imported_files_are_private(client, admin, settings, django_capture_on_commit_callbacks):
    text = "organisation,membership_number,valid_from\nVille,FING-220,2025-01-01\n"

    upload(client, django_capture_on_commit_callbacks, csv_file(text))

    stored = latest_import().file
    path = Path(stored.path)
    assert path.is_file()
    assert path.is_relative_to(settings.PRIVATE_MEDIA_ROOT)
    assert not path.is_relative_to(settings.MEDIA_ROOT)
    with pytest.raises(ValueError, match="not accessible via a URL"):
        stored.url  # noqa: B018 (the property raises)


def test_progress_is_saved_batch_by_batch_and_reaches_100_percent(
    client, admin, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(registry_import, "BATCH_SIZE", 2)
    seen_progress = []
    real_upsert = registry_import.upsert

    def watching_upsert(cleaned):
        seen_progress.append(AdherentImport.objects.get().processed_rows)
        return real_upsert(cleaned)

    monkeypatch.setattr(registry_import, "upsert", watching_upsert)
    rows = "".join(f"Organisation {n},FING-3{n:02d},,2025-01-01,\n" for n in range(5))

    response = upload(
        client,
        django_capture_on_commit_callbacks,
        csv_file("organisation,membership_number,email_domains,valid_from,valid_to\n" + rows),
    )

    # What another request polling the status saw while the import ran: progress moving
    # every batch of 2 rows.
    assert seen_progress == [0, 0, 2, 2, 4]
    pk = latest_import().pk
    status = client.get(f"/admin/adherents/import/{pk}/status/").json()
    assert status["status"] == "done"
    assert status["finished"] is True
    assert status["percent"] == 100
    assert (status["processed_rows"], status["total_rows"], status["created_count"]) == (5, 5, 5)
    page = client.get(response["Location"]).content.decode()
    assert '<progress id="import-progress-bar" max="100" value="100"' in page
    assert '<label for="import-progress-bar">Progression</label>' in page


def test_a_running_import_page_polls_its_status_with_an_external_script(client, admin):
    registry_import_ = AdherentImport.objects.create(
        file=csv_file("organisation\n"),
        status=AdherentImport.Status.RUNNING,
        total_rows=200,
        processed_rows=50,
    )

    page = client.get(f"/admin/adherents/import/{registry_import_.pk}/").content.decode()

    assert 'value="25"' in page
    assert f'data-status-url="/admin/adherents/import/{registry_import_.pk}/status/"' in page
    assert "membership/js/import-progress.js" in page
    assert '<meta http-equiv="refresh" content="5">' in page  # inside <noscript>


def test_only_editors_allowed_to_add_and_change_adherents_may_import(client):
    user = User.objects.create_user("lectrice", "lectrice@example.org", "pw")
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    refused = client.get(IMPORT_URL)
    assert (refused.status_code, refused["Location"]) == (302, "/admin/")  # Wagtail's "no"

    user.user_permissions.add(
        Permission.objects.get(codename="add_adherent"),
        Permission.objects.get(codename="change_adherent"),
    )
    user = User.objects.get(pk=user.pk)
    client.force_login(user)
    assert client.get(IMPORT_URL).status_code == 200

    client.logout()
    response = client.get(IMPORT_URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_registry_lists_searches_and_filters_by_validity(client, admin):
    today = datetime.date.today()
    Adherent.objects.create(
        organisation="Valide SA",
        membership_number="V-1",
        valid_from=today - datetime.timedelta(days=30),
        valid_to=today + datetime.timedelta(days=30),
    )
    Adherent.objects.create(
        organisation="Expirée SARL",
        membership_number="E-1",
        valid_from=today - datetime.timedelta(days=400),
        valid_to=today - datetime.timedelta(days=1),
    )

    valid = client.get("/admin/adherents/", {"validity": "valid"}).content.decode()
    expired = client.get("/admin/adherents/", {"validity": "expired"}).content.decode()
    searched = client.get("/admin/adherents/", {"q": "E-1"}).content.decode()

    assert "Valide SA" in valid and "Expirée SARL" not in valid
    assert "Expirée SARL" in expired and "Valide SA" not in expired
    assert "Expirée SARL" in searched and "Valide SA" not in searched
    assert 'href="/admin/adherents/import/"' in valid


def test_the_exported_registry_imports_back_unchanged(
    client, admin, django_capture_on_commit_callbacks
):
    Adherent.objects.create(
        organisation="Ville de Brest",
        membership_number="FING-001",
        email_domains="brest.fr\nbrest-metropole.fr",
        valid_from="2025-01-01",
        valid_to="2026-12-31",
    )
    Adherent.objects.create(
        organisation="Sans Fin", membership_number="FING-002", valid_from="2024-05-01"
    )

    export = client.get("/admin/adherents/", {"export": "csv"})
    exported = b"".join(export.streaming_content)
    upload(client, django_capture_on_commit_callbacks, csv_file(exported.decode("utf-8")))

    registry_import_ = latest_import()
    assert exported.startswith("\ufeff".encode())  # Excel then reads it as UTF-8
    assert registry_import_.status == AdherentImport.Status.DONE
    assert registry_import_.errors == []
    assert (registry_import_.processed_rows, registry_import_.created_count) == (2, 0)
    assert registry_import_.updated_count == 0


def test_editors_group_may_import_the_registry(client):
    user = User.objects.create_user("editrice", "editrice@example.org", "pw")
    user.groups.add(Group.objects.get(name="Éditeurs"))
    client.force_login(user)

    assert client.get(IMPORT_URL).status_code == 200
