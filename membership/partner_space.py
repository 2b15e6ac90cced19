"""The partner space: magic links, the private page of a partnership, its invoices and calendar,
and the rule that serves partner-only pages (PartnerAreaPage) to paying partners only.

A magic link carries the partnership's reference and a keyed digest of the address it was
sent to, signed and timestamped (`TimestampSigner(salt=SALT)`); it is valid for
settings.MEMBERSHIP_MAGIC_LINK_MAX_AGE seconds, and only while that address is still the
partnership's contact or billing address. Opening it stores both in the session (under
SESSION_KEY and SESSION_EMAIL_KEY, after cycling the session key), and adds the reference to
the sign-up journey's list (membership.signup), so that a draft can be finished. Every view
reads the partnership again from the database, so a state change (a refund, a cancellation)
or a change of address applies at once.
"""

import datetime
import hashlib
import logging
from io import BytesIO

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from wagtail import hooks
from wagtail.models import Locale

import icalendar

from home import tree_cache

from .documents import edition_label, format_day, format_money, invoice_document
from .models import (
    Invoice,
    PartnerAreaPage,
    Partnership,
    PartnershipOfferPage,
    PartnershipState,
    ProgrammeEvent,
)

logger = logging.getLogger(__name__)

SALT = "membership.partner-space"
SESSION_KEY = "membership_partnership"
SESSION_EMAIL_KEY = "membership_partnership_email"

# The sign-up journey's list of the references this session may finish (membership.signup
# reads it; it keeps the last MAX_SIGNUPS).
SIGNUP_SESSION_KEY = "membership_signups"
MAX_SIGNUPS = 20

# Light rate limits on link requests (per e-mail address, per client address), per window.
RATE_LIMIT_WINDOW = 3600
RATE_LIMIT_PER_EMAIL = 5
RATE_LIMIT_PER_CLIENT = 20


# Magic links ------------------------------------------------------------------------------


def _signer():
    return signing.TimestampSigner(salt=SALT)


def email_digest(email: str) -> str:
    """A keyed digest of an e-mail address (case ignored): links and sessions name the address
    they were given for without showing it."""
    return salted_hmac(f"{SALT}.email", email.strip().lower(), algorithm="sha256").hexdigest()[:20]


def make_token(partnership, email=None) -> str:
    """A signed, timestamped token carrying the partnership's reference and the digest of
    `email` (default: the contact's address), the address the link is sent to."""
    email = email or partnership.contact_email
    return _signer().sign(f"{partnership.reference}.{email_digest(email)}")


def read_token(token: str) -> tuple[str, str]:
    """(reference, e-mail digest) from a valid token. Raises signing.SignatureExpired (too old)
    or signing.BadSignature (forged, damaged, or of an older format)."""
    value = _signer().unsign(token, max_age=settings.MEMBERSHIP_MAGIC_LINK_MAX_AGE)
    reference, _dot, digest = value.partition(".")
    if not digest:
        raise signing.BadSignature("No e-mail address in the token")
    return reference, digest


def addressed_to(partnership, digest: str) -> bool:
    """Whether `digest` is that of the partnership's contact or billing address, now."""
    return any(
        constant_time_compare(digest, email_digest(email))
        for email in (partnership.contact_email, partnership.billing_email)
        if email
    )


def magic_link_url(partnership, email=None) -> str:
    """The absolute magic link for `partnership`, in the partnership's language, for `email`
    (default: the contact's address): it works while that address is one of the partnership's."""
    with translation.override(partnership.language):
        path = reverse("membership:partner_space_link", args=[make_token(partnership, email)])
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def link_lifetime_days() -> int:
    return max(1, round(settings.MEMBERSHIP_MAGIC_LINK_MAX_AGE / 86400))


def session_partnership(request):
    """The partnership of this session's partner space, or None (also once the address the
    space was opened with is no longer the partnership's)."""
    reference = request.session.get(SESSION_KEY)
    digest = request.session.get(SESSION_EMAIL_KEY)
    if not reference or not digest:
        return None
    partnership = Partnership.objects.select_related("edition").filter(reference=reference).first()
    if partnership is None or not addressed_to(partnership, digest):
        return None
    return partnership


def has_paid_access(request, edition) -> bool:
    """Whether this session's partnership is paid for `edition` (in any locale)."""
    partnership = session_partnership(request)
    return bool(
        partnership
        and partnership.state == PartnershipState.PAID
        and partnership.edition.translation_key == edition.translation_key
    )


# Views --------------------------------------------------------------------------------------


class LinkRequestForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Votre adresse e-mail"),
        help_text=gettext_lazy("L'adresse du contact ou de la facturation donnée à l'inscription."),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


def _login_url(sent=False):
    url = reverse("membership:partner_space_login")
    return f"{url}?envoye=1" if sent else url


def _client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _within_rate_limit(email: str, client: str) -> bool:
    """Count this request; False once the e-mail address or the client asked too often."""
    allowed = True
    for kind, value, limit in (
        ("email", email.lower(), RATE_LIMIT_PER_EMAIL),
        ("client", client, RATE_LIMIT_PER_CLIENT),
    ):
        digest = hashlib.sha256(value.encode()).hexdigest()[:32]
        key = f"membership:link-request:{kind}:{digest}"
        cache.add(key, 0, RATE_LIMIT_WINDOW)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, RATE_LIMIT_WINDOW)
            count = 1
        allowed = allowed and count <= limit
    return allowed


def _send_links(email: str):
    from .tasks.mail import send_magic_link

    partnerships = Partnership.objects.filter(
        Q(contact_email__iexact=email) | Q(billing_email__iexact=email)
    ).exclude(state=PartnershipState.CANCELLED)
    for pk in partnerships.values_list("pk", flat=True):
        transaction.on_commit(lambda pk=pk: send_magic_link.delay(pk, email))


@never_cache
def request_link(request):
    """Ask for a magic link by e-mail. The answer is the same whether the address is known or
    not, and whether or not the rate limit stopped the sending."""
    if request.method == "POST":
        form = LinkRequestForm(request.POST)
        if form.is_valid():
            email = form.cleaned_data["email"]
            if _within_rate_limit(email, _client_address(request)):
                _send_links(email)
            else:
                logger.info("Partner space link request over the rate limit")
            return redirect(_login_url(sent=True))
        status = 400
    else:
        form = LinkRequestForm()
        status = 200
    return TemplateResponse(
        request,
        "membership/partner_space/request_link.html",
        {
            "form": form,
            "sent": request.method == "GET" and request.GET.get("envoye") == "1",
            "lifetime_days": link_lifetime_days(),
        },
        status=status,
    )


@never_cache
def open_link(request, token):
    """Open the partner space from a magic link; a stale or forged link gets a clear page
    with the form to ask for a new one."""
    problem = None
    try:
        reference, digest = read_token(token)
    except signing.SignatureExpired:
        problem, status = "expired", 403
    except signing.BadSignature:
        problem, status = "invalid", 400
    else:
        partnership = Partnership.objects.filter(reference=reference).first()
        if partnership is None:
            problem, status = "invalid", 400
        elif not addressed_to(partnership, digest):
            problem, status = "revoked", 403
    if problem:
        return TemplateResponse(
            request,
            "membership/partner_space/link_refused.html",
            {
                "problem": problem,
                "form": LinkRequestForm(),
                "lifetime_days": link_lifetime_days(),
            },
            status=status,
        )
    request.session.cycle_key()
    request.session[SESSION_KEY] = reference
    request.session[SESSION_EMAIL_KEY] = digest
    signups = request.session.get(SIGNUP_SESSION_KEY, [])
    if reference not in signups:
        request.session[SIGNUP_SESSION_KEY] = [*signups, reference][-MAX_SIGNUPS:]
    return redirect("membership:partner_space")


@require_POST
def log_out(request):
    request.session.pop(SESSION_KEY, None)
    request.session.pop(SESSION_EMAIL_KEY, None)
    request.session.cycle_key()
    messages.info(request, _("Vous avez quitté l'espace partenaire."))
    return redirect(_login_url())


def _events(edition):
    return ProgrammeEvent.objects.filter(edition__translation_key=edition.translation_key).order_by(
        "starts_at", "pk"
    )


def _event_title(event, language):
    if language == "en" and event.title_en:
        return event.title_en
    return event.title


def _edition_in(edition, language):
    locale = Locale.objects.filter(language_code=language).first()
    return (locale and edition.get_translation_or_none(locale)) or edition


def finish_signup_url(partnership, request=None):
    """The sign-up's confirmation step for `partnership` (on the edition's offer page, in the
    partnership's language when it is translated), or None without a live offer page."""
    pages = [
        page
        for edition in partnership.edition.get_translations(inclusive=True)
        for page in PartnershipOfferPage.objects.child_of(edition).live().select_related("locale")
    ]
    if not pages:
        return None
    page = next((p for p in pages if p.locale.language_code == partnership.language), pages[0])
    url = page.get_url(request=request)
    if not url:
        return None
    return url + page.reverse_subpage("confirm", args=[partnership.reference])


def area_pages(edition, language):
    """The live partner-only pages directly under the edition, in `language` when translated."""
    local = _edition_in(edition, language)
    return PartnerAreaPage.objects.child_of(local).live().order_by("path")


@never_cache
def space(request):
    partnership = session_partnership(request)
    if partnership is None:
        return redirect(_login_url())
    language = translation.get_language() or settings.LANGUAGE_CODE
    edition = partnership.edition
    paid = partnership.state == PartnershipState.PAID
    invoices = [
        {
            "number": invoice.number,
            "date": format_day(invoice.issued_at, language),
            "amount": format_money(invoice.gross_cents, language),
            "url": reverse("membership:partner_space_invoice", args=[invoice.number]),
        }
        for invoice in partnership.invoices.order_by("year", "sequence")
    ]
    # The programme's calendar is for paying partners, like the partner-only pages.
    events = [
        {
            "title": _event_title(event, language),
            "kind": event.get_kind_display(),
            "starts_at": timezone.localtime(event.starts_at),
            "ends_at": timezone.localtime(event.ends_at),
            "location": event.location,
        }
        for event in (_events(edition) if paid else [])
    ]
    draft = partnership.state == PartnershipState.DRAFT
    return TemplateResponse(
        request,
        "membership/partner_space/space.html",
        {
            "partnership": partnership,
            "edition_label": edition_label(edition, language),
            "amount": format_money(partnership.amount_cents, language),
            "transitions": partnership.transitions.order_by("at", "pk"),
            "invoices": invoices,
            "events": events,
            "paid": paid,
            "draft": draft,
            "finish_signup_url": finish_signup_url(partnership, request) if draft else None,
            "area_pages": area_pages(edition, language) if paid else [],
        },
    )


@never_cache
def invoice_pdf(request, number):
    partnership = session_partnership(request)
    if partnership is None:
        return redirect(_login_url())
    try:
        invoice = partnership.invoices.get(number=number)
    except Invoice.DoesNotExist:
        raise Http404("No such invoice in this partner space") from None
    invoice.partnership = partnership
    return FileResponse(
        BytesIO(invoice_document(invoice)),
        as_attachment=True,
        filename=f"{invoice.number}.pdf",
        content_type="application/pdf",
    )


def build_calendar(partnership, language) -> bytes:
    """The edition's programme as an iCalendar file: one VEVENT per ProgrammeEvent, its UID
    stable across downloads, times in UTC."""
    edition = partnership.edition
    host = settings.WAGTAILADMIN_BASE_URL.split("://")[-1].split("/")[0].split(":")[0]
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Fing//Questions Numeriques//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Questions Numériques — {edition_label(edition, language)}")
    stamp = timezone.now().astimezone(datetime.UTC)
    for event in _events(edition):
        vevent = icalendar.Event()
        vevent.add("uid", f"programme-event-{event.pk}@{host}")
        vevent.add("dtstamp", stamp)
        vevent.add("dtstart", event.starts_at.astimezone(datetime.UTC))
        vevent.add("dtend", event.ends_at.astimezone(datetime.UTC))
        vevent.add("summary", _event_title(event, language))
        vevent.add("categories", [str(event.get_kind_display())])
        if event.location:
            vevent.add("location", event.location)
        calendar.add_component(vevent)
    return calendar.to_ical()


@never_cache
def calendar_ics(request):
    partnership = session_partnership(request)
    if partnership is None:
        return redirect(_login_url())
    if partnership.state != PartnershipState.PAID:
        messages.info(
            request,
            _("Le calendrier du programme sera accessible ici dès réception de votre paiement."),
        )
        return redirect("membership:partner_space")
    language = translation.get_language() or settings.LANGUAGE_CODE
    response = HttpResponse(
        build_calendar(partnership, language), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="questions-numeriques-{partnership.edition.years}.ics"'
    )
    return response


# Partner-only pages -------------------------------------------------------------------------


@hooks.register("before_serve_page")
def restrict_partner_area(page, request, serve_args, serve_kwargs):
    """Serve a PartnerAreaPage (or a page under one) only to a session whose partnership is
    paid for the page's edition, and to the users who may edit the page. Others are sent to
    the link request page. Previews in the admin do not go through this hook."""
    if isinstance(page, PartnerAreaPage):
        area = page
    else:
        # Asked on every page served: answered from the tree cache (home.tree_cache).
        area_id = tree_cache.get_or_compute(
            f"partner-area:{page.path}",
            lambda: (
                PartnerAreaPage.objects.ancestor_of(page)
                .order_by("depth")
                .values_list("pk", flat=True)
                .first()
            ),
        )
        if area_id is None:
            return None
        area = PartnerAreaPage.objects.get(pk=area_id)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and page.permissions_for_user(user).can_edit():
        return None
    edition = area.edition
    if edition is not None and has_paid_access(request, edition):
        return None
    messages.info(
        request,
        _(
            "Cette page est réservée aux partenaires de l'édition dont le partenariat est "
            "réglé. Demandez un lien d'accès à votre espace partenaire."
        ),
    )
    return redirect(_login_url())
