"""What production's security settings promise, observed from outside.

`manage.py check --deploy` has nothing to say; the public site's Content Security Policy
forbids inline scripts and styles while the admin's allows them; the admin's sign-in locks a
username out from an address after 5 wrong passwords (django-axes); editors need a TOTP code
(django-otp) when two-factor authentication is on; uploads are limited in type and size.
The last part drives Debian's Chromium over every kind of page and listens on its console
for the violations it reports.
"""

import io
import os
import re
import subprocess
import sys
import time

from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from wagtail.models import Locale

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image
from playwright.sync_api import expect

from editions.models import EditionPage
from tests.browser import browser_page  # noqa: F401 (fixture)

PASSWORD = "Un mot de passe assez long 42"

# A key as `manage.py shell -c "from django.core.management.utils import
# get_random_secret_key as k; print(k())"` prints it: check --deploy wants 50 varied characters.
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "portal.settings.production",
    "SECRET_KEY": "k3#v@x9!q2m&z7^w5$r1(t8)y4*u6%p0-s=d+f_g~h]j[l;c:b",
    "ALLOWED_HOSTS": "questions-numeriques.example.org",
    "DATABASE_URL": "sqlite:////tmp/qn-check-deploy.sqlite3",
    "EMAIL_URL": "consolemail://",
    "WAGTAILADMIN_BASE_URL": "https://questions-numeriques.example.org",
}


def run_production(*args, **environment):
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(PRODUCTION_ENV, **environment)
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )


# --- deployment checks -------------------------------------------------------------------


def test_check_deploy_has_no_warning_under_production_settings():
    result = run_production("check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_switch_two_factor_authentication_off():
    result = run_production("check", ADMIN_REQUIRE_2FA="false")

    assert result.returncode != 0
    assert "ADMIN_REQUIRE_2FA cannot be turned off in production" in result.stderr


def test_production_secures_cookies_and_framing():
    script = (
        "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE, "
        "s.X_FRAME_OPTIONS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, "
        "s.SECURE_CROSS_ORIGIN_OPENER_POLICY, s.ADMIN_REQUIRE_2FA)"
    )
    result = run_production("shell", "--verbosity", "0", "-c", script)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True", "True", "True", "Lax", "DENY", "True", "True", "same-origin", "True"
    ]  # fmt: skip


# --- Content Security Policy -------------------------------------------------------------


def directives(response):
    policy = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


@pytest.mark.django_db
def test_public_pages_allow_no_inline_script_or_style(client):
    response = client.get("/fr/")

    assert response.status_code == 200
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["form-action"] == ["'self'", "https://checkout.stripe.com"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_the_admin_gets_its_own_policy_still_limited_to_our_origin(client):
    response = client.get("/admin/login/")

    assert response.status_code == 200
    policy = directives(response)
    assert policy["script-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]


def test_health_answers_carry_the_public_policy(client):
    assert directives(client.get("/health/live"))["script-src"] == ["'self'"]


PUBLIC_TEMPLATE_DIRS = (
    "portal/templates",
    "home/templates",
    "editions/templates",
    "membership/templates",
    "search/templates",
)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(ld\+)?json\")")
INLINE_STYLE = re.compile(r"<style\b|\sstyle=")
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def web_templates():
    """Every template a browser renders under the public policy (e-mails are not pages;
    the admin's templates run under the admin's policy)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for folder in PUBLIC_TEMPLATE_DIRS:
        for directory, _dirs, files in os.walk(os.path.join(root, folder)):
            relative = os.path.relpath(directory, root)
            if "/email" in relative or "/admin" in relative or relative.endswith("security"):
                continue
            for name in files:
                if name.endswith(".html"):
                    yield os.path.relpath(os.path.join(directory, name), root)


@pytest.mark.parametrize("template", sorted(web_templates()))
def test_public_templates_have_no_inline_script_style_or_handler(template):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, template), encoding="utf-8") as file:
        text = file.read()

    assert not INLINE_SCRIPT.search(text), "inline <script>: blocked by script-src 'self'"
    assert not INLINE_STYLE.search(text), "inline style: blocked by style-src 'self'"
    assert not INLINE_HANDLER.search(text), "on…= handler: blocked by script-src 'self'"


# --- admin sign-in lockout (django-axes) -------------------------------------------------


@pytest.fixture
def editor(db):
    user = User.objects.create_user("editrice", "editrice@example.org", PASSWORD)
    user.groups.add(Group.objects.get(name="Éditeurs"))
    return user


def sign_in(client, password, username="editrice", **extra):
    return client.post(
        "/admin/login/", {"username": username, "password": password, "next": "/admin/"}, **extra
    )


def test_the_right_password_before_the_limit_signs_in_and_resets_the_count(client, editor):
    for _ in range(4):
        assert sign_in(client, "faux").status_code == 200

    response = sign_in(client, PASSWORD)

    assert response.status_code == 302
    assert response.url == "/admin/"
    client.logout()
    # AXES_RESET_ON_SUCCESS: four more failures are still below the limit.
    for _ in range(4):
        sign_in(client, "faux")
    assert sign_in(client, PASSWORD).status_code == 302


def test_five_wrong_passwords_lock_the_username_out_even_with_the_right_one(client, editor):
    for _ in range(5):
        response = sign_in(client, "faux")
    assert response.status_code == 429  # the fifth failure already answers the lockout

    response = sign_in(client, PASSWORD)

    assert response.status_code == 429
    text = response.content.decode()
    assert "Trop de tentatives de connexion : réessayez dans 30 minutes." in text
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302  # still signed out


def test_the_lockout_is_per_username_and_address(client, editor):
    User.objects.create_user("autre", "autre@example.org", PASSWORD).groups.add(
        Group.objects.get(name="Éditeurs")
    )
    for _ in range(5):
        sign_in(client, "faux")

    # Another account from the same address, and the same account from elsewhere, sign in.
    assert sign_in(client, PASSWORD, username="autre").status_code == 302
    client.logout()
    assert sign_in(client, PASSWORD, REMOTE_ADDR="192.0.2.7").status_code == 302


def test_behind_a_proxy_the_lockout_follows_the_forwarded_address(client, editor, settings):
    settings.ENQUIRY_TRUSTED_PROXIES = 1
    for _ in range(5):
        sign_in(client, "faux", HTTP_X_FORWARDED_FOR="203.0.113.5")

    # A forged entry in front of the one the proxy appended changes nothing.
    forged = sign_in(client, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.5")
    other_visitor = sign_in(client, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.1")

    assert forged.status_code == 429
    assert other_visitor.status_code == 302


def test_the_session_cookie_is_http_only_and_same_site_lax(client, editor):
    response = sign_in(client, PASSWORD)

    cookie = response.cookies["sessionid"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


# --- two-factor authentication (django-otp) ----------------------------------------------


@pytest.fixture
def two_factor(settings):
    settings.ADMIN_REQUIRE_2FA = True


@pytest.fixture
def signed_in(client, editor):
    client.force_login(editor)
    return client


def code_for(device, offset=0):
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + offset)
    return f"{code:06d}"


def wrong_code(device):
    taken = {code_for(device, offset) for offset in (-1, 0, 1)}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in taken)


def confirmed_device(user):
    return TOTPDevice.objects.create(user=user, name="Téléphone", confirmed=True)


@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/pages/", "/admin/images/", "/admin/documents/", "/admin/users/"]
)
def test_without_a_device_every_admin_page_leads_to_enrolment(signed_in, two_factor, path):
    response = signed_in.get(path)

    assert response.status_code == 302
    assert response.url == "/admin/2fa/setup/?next=" + path


def test_enrolment_shows_a_qr_code_and_the_first_code_opens_the_admin(
    signed_in, two_factor, editor
):
    page = signed_in.get("/admin/2fa/setup/?next=/admin/pages/")
    assert page.status_code == 200
    text = page.content.decode()
    assert 'src="data:image/svg+xml;base64,' in text
    device = TOTPDevice.objects.get(user=editor, confirmed=False)
    assert device.config_url.startswith("otpauth://totp/Questions%20Num%C3%A9riques")

    refused = signed_in.post("/admin/2fa/setup/", {"code": wrong_code(device), "next": "/"})
    assert refused.status_code == 400
    assert "Code incorrect ou expiré" in refused.content.decode()
    assert signed_in.get("/admin/").status_code == 302

    time.sleep(1.1)  # django-otp makes one wait 1 s after a wrong code
    response = signed_in.post(
        "/admin/2fa/setup/", {"code": code_for(device), "next": "/admin/pages/"}
    )

    assert response.status_code == 302
    assert response.url == "/admin/pages/"
    device.refresh_from_db()
    assert device.confirmed
    assert signed_in.get("/admin/pages/").status_code == 200


def test_with_a_device_a_wrong_code_is_refused_and_the_right_one_opens_the_admin(
    signed_in, two_factor, editor
):
    device = confirmed_device(editor)
    assert signed_in.get("/admin/").url == "/admin/2fa/verify/?next=/admin/"
    # Someone with the password alone cannot enrol a device of their own.
    assert signed_in.get("/admin/2fa/setup/").url.startswith("/admin/2fa/verify/")

    refused = signed_in.post("/admin/2fa/verify/", {"code": wrong_code(device), "next": "/admin/"})
    assert refused.status_code == 400
    assert "Code incorrect ou expiré" in refused.content.decode()
    throttled = signed_in.post("/admin/2fa/verify/", {"code": code_for(device), "next": "/admin/"})
    assert "Trop de codes erronés" in throttled.content.decode()
    assert signed_in.get("/admin/").status_code == 302

    time.sleep(1.1)
    response = signed_in.post("/admin/2fa/verify/", {"code": code_for(device), "next": "/admin/"})

    assert response.status_code == 302
    assert response.url == "/admin/"
    assert signed_in.get("/admin/").status_code == 200
    assert signed_in.get("/admin/pages/").status_code == 200


def test_verify_never_redirects_off_site(signed_in, two_factor, editor):
    device = confirmed_device(editor)

    response = signed_in.post(
        "/admin/2fa/verify/", {"code": code_for(device), "next": "https://evil.example/"}
    )

    assert response.url == "/admin/"


def test_the_two_factor_pages_need_a_signed_in_user(client, db, two_factor):
    response = client.get("/admin/2fa/setup/")

    assert response.status_code == 302
    assert response.url.startswith("/admin/login/?next=")


def test_sign_in_then_code_in_one_go(client, two_factor, editor):
    device = confirmed_device(editor)

    response = client.post(
        "/admin/login/", {"username": "editrice", "password": PASSWORD, "next": "/admin/pages/"}
    )
    assert response.url == "/admin/pages/"
    response = client.get(response.url)
    assert response.url == "/admin/2fa/verify/?next=/admin/pages/"
    response = client.post(
        "/admin/2fa/verify/", {"code": code_for(device), "next": "/admin/pages/"}
    )

    assert client.get(response.url).status_code == 200


def test_reset_2fa_deletes_the_devices_and_the_sessions_verification(signed_in, two_factor, editor):
    device = confirmed_device(editor)
    signed_in.post("/admin/2fa/verify/", {"code": code_for(device), "next": "/admin/"})
    assert signed_in.get("/admin/").status_code == 200
    out = io.StringIO()

    call_command("reset_2fa", "editrice", stdout=out)

    assert "1 two-factor device(s) deleted for editrice" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=editor).exists()
    assert signed_in.get("/admin/").url == "/admin/2fa/setup/?next=/admin/"


def test_with_two_factor_off_the_admin_opens_without_a_device(signed_in, settings):
    settings.ADMIN_REQUIRE_2FA = False

    assert signed_in.get("/admin/").status_code == 200


def test_two_factor_leaves_the_public_site_alone(signed_in, two_factor):
    assert signed_in.get("/fr/").status_code == 200


# --- uploads -----------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, db):
    client.force_login(User.objects.create_superuser("admin", "admin@example.org", PASSWORD))
    return client


def png_bytes(size):
    """A valid PNG of at least `size` bytes: random pixels do not compress."""
    side = int((size / 3) ** 0.5) + 16
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(
        buffer, "PNG", compress_level=0
    )
    return buffer.getvalue()


def plain(text):
    """Messages as a reader sees them: no-break spaces as spaces."""
    return str(text).replace("\xa0", " ")


def file_errors(response):
    return plain(" ".join(response.context["form"].errors["file"]))


def test_an_executable_document_is_refused_with_a_message(admin_client):
    from wagtail.documents.models import Document

    executable = SimpleUploadedFile("setup.exe", b"MZ\x90\x00" + b"\x00" * 100)

    response = admin_client.post(
        "/admin/documents/add/", {"title": "Programme", "file": executable, "collection": 1}
    )

    assert response.status_code == 200
    message = file_errors(response)
    assert "L'extension de fichier « exe » n’est pas autorisée" in message
    assert "csv, docx, odt, pdf, pptx, xlsx, zip" in message
    assert not Document.objects.filter(title="Programme").exists()


def test_the_multiple_upload_refuses_an_executable_document_too(admin_client):
    from wagtail.documents.models import Document

    executable = SimpleUploadedFile("setup.exe", b"MZ\x90\x00" + b"\x00" * 100)

    response = admin_client.post("/admin/documents/multiple/add/", {"files[]": executable})

    assert response.status_code == 200
    body = response.json()
    assert body["success"] is False
    assert "L'extension de fichier « exe » n’est pas autorisée" in plain(body["error_message"])
    assert not Document.objects.exists()


def test_a_document_above_20_mb_is_refused_with_a_message(admin_client, settings):
    from wagtail.documents.models import Document

    too_big = SimpleUploadedFile(
        "rapport.pdf", b"%PDF-1.4\n" + b"0" * settings.WAGTAILDOCS_MAX_UPLOAD_SIZE
    )

    response = admin_client.post(
        "/admin/documents/add/", {"title": "Rapport", "file": too_big, "collection": 1}
    )

    assert response.status_code == 200
    assert "La taille de fichier maximale est de 20,0 Mio." in file_errors(response)
    assert not Document.objects.filter(title="Rapport").exists()


def test_an_image_above_10_mb_is_refused_with_a_message(admin_client, settings):
    from wagtail.images.models import Image as WagtailImage

    too_big = SimpleUploadedFile(
        "affiche.png", png_bytes(settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE + 1), "image/png"
    )

    response = admin_client.post("/admin/images/multiple/add/", {"files[]": too_big})

    body = response.json()
    assert body["success"] is False
    assert "Ce fichier est trop gros" in plain(body["error_message"])
    assert "La taille de fichier maximale est de 10,0 Mio." in plain(body["error_message"])
    assert not WagtailImage.objects.filter(title="affiche").exists()


def test_an_executable_renamed_as_an_image_is_refused(admin_client):
    fake = SimpleUploadedFile("photo.png", b"MZ\x90\x00" + b"\x00" * 100, "image/png")

    response = admin_client.post("/admin/images/add/", {"title": "Photo", "file": fake})

    assert response.status_code == 200
    assert "image" in file_errors(response).lower()


def test_a_request_announcing_a_huge_body_is_refused_before_it_is_read(client, settings):
    settings.REQUEST_MAX_BODY_SIZE = 1024

    response = client.post(
        "/fr/nous-contacter/", {"message": "x" * 2048, "attachment": io.BytesIO(b"y" * 10)}
    )

    assert response.status_code == 413
    assert "trop volumineuse" in response.content.decode()


# --- in a real browser: no CSP violation anywhere ----------------------------------------


class ConsoleViolations:
    """What Chromium reports on the console when a page breaks its Content Security Policy
    (or a frame its X-Frame-Options): "Refused to execute inline script because it violates
    the following Content Security Policy directive…"."""

    def __init__(self, page):
        self.messages = []
        page.on("console", self._collect)

    def _collect(self, message):
        if "Content Security Policy" in message.text or "X-Frame-Options" in message.text:
            self.messages.append(message.text)


@pytest.fixture
def indexed_content(committed_content, settings):
    """The committed content in the search index; rate-limit counters at zero."""
    from django.core.cache import cache

    settings.CELERY_TASK_ALWAYS_EAGER = True
    cache.clear()
    call_command("rebuild_search_index", "--skip-entries", stdout=io.StringIO())
    yield
    cache.clear()


def think_small():
    return EditionPage.objects.get(locale__language_code="fr", start_year=2016)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_public_pages_work_under_their_policy(
    live_server,
    browser_page,  # noqa: F811
    indexed_content,
):
    page = browser_page
    violations = ConsoleViolations(page)

    page.goto(live_server.url + "/fr/")
    page.goto(live_server.url + think_small().url)
    assert page.get_by_role("heading", level=1).inner_text().strip().startswith("Think Small")

    # The header's search box still suggests titles: its script comes from our origin.
    page.goto(live_server.url + "/fr/search/?q=transitions")
    page.get_by_role("search").first.get_by_role("combobox").press_sequentially("tran")
    listbox = page.get_by_role("listbox", name="Suggestions")
    expect(listbox).to_be_visible()
    expect(listbox.get_by_role("option").filter(has_text="Transitions")).to_have_count(1)

    page.goto(live_server.url + "/fr/nous-contacter/")
    form = page.locator("form.enquiry-form")
    form.locator('[name="name"]').fill("Alex Bernard")
    form.locator('[name="organisation"]').fill("Métropole de Lyon")
    form.locator('[name="email"]').fill("alex.bernard@grandlyon.com")
    form.locator('[name="topic"]').select_option("programme")
    form.locator('[name="message"]').fill("Une question sur le programme.")
    form.locator('[name="consent"]').check()
    form.locator('button[type="submit"]').click()
    page.wait_for_url(re.compile(r"/merci/$"))

    assert violations.messages == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_sign_up_form_reaches_stripe_checkout(
    live_server,
    browser_page,  # noqa: F811
    committed_content,
    monkeypatch,
):
    """The payment step posts to us, and we redirect to Checkout: Chromium checks that
    redirect against form-action, which therefore names checkout.stripe.com. Stripe itself
    cannot be reached from here: the gateway's answer and Checkout's page are stand-ins."""
    from membership.models import PartnershipOfferPage, Price, Tier
    from membership.payments import stripe_gateway

    edition = think_small()
    for tier, cents in ((Tier.ADHERENT, 2_000_000), (Tier.NON_MEMBER, 2_500_000)):
        Price.objects.get_or_create(edition=edition, tier=tier, defaults={"amount_cents": cents})
    offer = PartnershipOfferPage.objects.child_of(edition).live().first()
    checkout_url = "https://checkout.stripe.com/c/pay/cs_test_portal#fid"
    session = stripe_gateway.CheckoutSession(id="cs_test_portal", url=checkout_url)
    monkeypatch.setattr(stripe_gateway, "create_checkout_session", lambda *a, **k: session)
    page = browser_page
    page.route(
        "https://checkout.stripe.com/**",
        lambda route: route.fulfill(content_type="text/html", body="<h1>Stripe Checkout</h1>"),
    )
    violations = ConsoleViolations(page)

    page.goto(live_server.url + offer.url)
    page.get_by_role("link", name="Devenir partenaire").last.click()
    page.get_by_label("Raison sociale").fill("Ville de Grenoble")
    page.get_by_label("Adresse postale").fill("11 boulevard Jean Pain\n38000 Grenoble")
    page.get_by_label("Pays").select_option("FR")
    page.get_by_label("Nom et prénom").fill("Camille Martin")
    page.get_by_label("Fonction").fill("Directrice de l'innovation")
    page.get_by_label("E-mail", exact=True).fill("camille.martin@grenoble.fr")
    page.get_by_label("Téléphone").fill("04 76 76 36 36")
    page.get_by_label("Contact facturation (nom)").fill("Service comptable")
    page.get_by_label("E-mail de facturation").fill("factures@grenoble.fr")
    page.get_by_label(re.compile("J'accepte les conditions")).check()
    page.get_by_role("button", name="Continuer").click()
    page.wait_for_url(re.compile(r"/inscription/QN-[0-9A-F]+/$"))
    page.get_by_label("Carte bancaire").check()
    page.get_by_role("button", name=re.compile("Payer")).click()

    page.wait_for_url(checkout_url)
    assert page.get_by_role("heading", level=1).inner_text() == "Stripe Checkout"
    assert violations.messages == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_admin_works_under_its_policy_with_two_factor_enrolment(
    live_server,
    browser_page,  # noqa: F811
    committed_content,
    settings,
):
    settings.ADMIN_REQUIRE_2FA = True
    user = User.objects.create_superuser("admin", "admin@example.org", PASSWORD)
    edition = think_small()
    page = browser_page
    violations = ConsoleViolations(page)

    page.goto(live_server.url + "/admin/")
    page.locator('input[name="username"]').fill("admin")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.locator('form.login-form button[type="submit"]').click()

    page.wait_for_url(re.compile(r"/admin/2fa/setup/"))
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    page.get_by_label("Code à 6 chiffres").fill(code_for(device))
    page.get_by_role("button", name="Confirmer").click()
    page.wait_for_url(live_server.url + "/admin/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()

    page.goto(live_server.url + f"/admin/pages/{edition.pk}/edit/")
    expect(page.locator("form[data-edit-form]")).to_be_visible()
    page.locator('[data-side-panel-toggle="preview"]').click()
    preview = page.frame_locator("#w-preview-iframe")
    expect(preview.get_by_role("heading", level=1)).to_contain_text("Think Small")
    # wagtail-localize's translation editor (a React application) on the English edition.
    english = edition.get_translation(Locale.objects.get(language_code="en"))
    page.goto(live_server.url + f"/admin/pages/{english.pk}/edit/")
    expect(page.locator(".js-translation-editor")).to_contain_text("Think Small")
    page.goto(live_server.url + "/admin/images/")
    page.goto(live_server.url + "/admin/documents/")
    page.goto(live_server.url + "/admin/reports/translations/")

    # The public site under the editor's userbar.
    page.goto(live_server.url + edition.url)
    expect(page.locator("wagtail-userbar")).to_be_attached()
    page.wait_for_timeout(500)

    assert violations.messages == []
