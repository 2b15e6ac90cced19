"""Enquiries from visitors: the form, the routing to a contact, the abuse checks, the contact
page's views, the e-mails and the retention.

A valid enquiry is always stored, in the request's transaction, before anything is mailed.
Once that transaction commits, two Celery tasks (membership.tasks.enquiries) e-mail the routed
contact and acknowledge the enquiry to the visitor, with retries; a periodic task sends what
they could not, or what could not be queued because the broker was down. Spam (the honeypot
filled in, or a rate limit exceeded) is stored too, marked, for review, and mails nobody; the
visitor sees the same thank-you page either way, so that a robot learns nothing.
"""

import datetime
import logging
import time
from email.utils import formataddr

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives
from django.core.validators import MaxLengthValidator
from django.db import transaction
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache

import phonenumbers

from editions.models import EditionPage
from home import tree_cache

from .models import Contact, Enquiry, Topic, TopicRoute

logger = logging.getLogger(__name__)

HONEYPOT = "honeypot"
RATE_LIMIT = "rate limit"
# The inbox of the admin (membership.enquiry_admin) inspects an enquiry at this path.
ADMIN_INSPECT_PATH = "/admin/demandes/inspect/{pk}/"
TEMPLATE_DIR = "membership/email"


# --- Settings -------------------------------------------------------------------------


def retention_days() -> int:
    days = settings.ENQUIRY_RETENTION_DAYS
    if not isinstance(days, int) or days < 1:
        raise ImproperlyConfigured(f"ENQUIRY_RETENTION_DAYS must be a number of days ≥ 1: {days!r}")
    return days


def retention_period() -> str:
    """« 3 ans », « 18 mois »… in the active language: how long an enquiry is kept."""
    days = retention_days()
    if days % 365 == 0:
        years = days // 365
        return ngettext("%(count)d an", "%(count)d ans", years) % {"count": years}
    if days % 30 == 0:
        months = days // 30
        return ngettext("%(count)d mois", "%(count)d mois", months) % {"count": months}
    return ngettext("%(count)d jour", "%(count)d jours", days) % {"count": days}


RATE_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(value) -> tuple[int, int] | None:
    """ "5/h" → (5, 3600): at most 5 attempts per window of an hour. "" → None (no limit)."""
    if not value:
        return None
    count, _slash, unit = str(value).partition("/")
    try:
        limit, period = int(count), RATE_PERIODS[unit.strip().lower()]
    except (ValueError, KeyError):
        raise ImproperlyConfigured(
            f"An enquiry rate limit reads like 5/h (s, m, h or d), not {value!r}"
        ) from None
    if limit < 1:
        raise ImproperlyConfigured(f"An enquiry rate limit allows at least 1 attempt: {value!r}")
    return limit, period


# --- Routing --------------------------------------------------------------------------


def route(topic) -> Contact | None:
    """The active contact who receives `topic`'s enquiries.

    Without one, the programme's contact, and failing that nobody (None: the notification then
    goes to SERVER_EMAIL); both fallbacks are logged as warnings.
    """
    routes = {
        topic_route.topic: topic_route.contact
        for topic_route in TopicRoute.objects.select_related("contact").filter(
            topic__in=[topic, Topic.PROGRAMME], contact__active=True
        )
    }
    if topic in routes:
        return routes[topic]
    fallback = routes.get(Topic.PROGRAMME)
    logger.warning(
        "No active contact for the enquiry topic %r: it goes to %s",
        topic,
        fallback.email if fallback else f"SERVER_EMAIL ({settings.SERVER_EMAIL})",
    )
    return fallback


# --- Abuse ----------------------------------------------------------------------------


def client_ip(request) -> str:
    """The visitor's address: REMOTE_ADDR, or X-Forwarded-For's entry appended by the
    outermost of the ENQUIRY_TRUSTED_PROXIES proxies (entries before it can be forged)."""
    proxies = settings.ENQUIRY_TRUSTED_PROXIES
    if proxies:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _digest(kind, value) -> str:
    """HMAC-SHA256 of `value` keyed with SECRET_KEY: stored and used as a cache key instead
    of an IP or e-mail address, which are never kept in clear outside the enquiry."""
    return salted_hmac(f"membership.enquiries.{kind}", value, algorithm="sha256").hexdigest()


def client_key(request) -> str:
    return _digest("client", client_ip(request))


def _over_limit(kind, identity, rate) -> bool:
    """Count one attempt of `identity` in the current fixed window; True when it is one too
    many. `cache.add` creates the window's counter only when missing and `cache.incr` is
    atomic (Redis INCR, or under the lock of the local memory cache), so concurrent
    requests never lose a count."""
    parsed = parse_rate(rate)
    if parsed is None:
        return False
    limit, period = parsed
    key = f"enquiry-rate:{kind}:{identity}:{int(time.time() // period)}"
    cache.add(key, 0, timeout=period)
    try:
        count = cache.incr(key)
    except ValueError:  # the counter expired between add() and incr()
        cache.add(key, 1, timeout=period)
        count = 1
    return count > limit


def spam_reason(request, data) -> str:
    """Why this valid submission is spam, or "" when it is not. Every submission counts
    towards both rate limits, spam included."""
    over_ip = _over_limit("ip", client_key(request), settings.ENQUIRY_RATE_LIMIT_PER_IP)
    over_email = _over_limit(
        "email", _digest("email", data["email"].lower()), settings.ENQUIRY_RATE_LIMIT_PER_EMAIL
    )
    if data["website"]:
        return HONEYPOT
    if over_ip or over_email:
        return RATE_LIMIT
    return ""


# --- The form -------------------------------------------------------------------------


class EnquiryForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Nom et prénom"),
        max_length=200,
        error_messages={"required": gettext_lazy("Indiquez votre nom.")},
    )
    organisation = forms.CharField(
        label=gettext_lazy("Organisation"),
        max_length=200,
        error_messages={"required": gettext_lazy("Indiquez votre organisation.")},
    )
    email = forms.EmailField(
        label=gettext_lazy("E-mail"),
        max_length=254,
        error_messages={
            "required": gettext_lazy(
                "Indiquez votre adresse e-mail, pour que nous puissions vous répondre."
            ),
            "invalid": gettext_lazy(
                "Cette adresse e-mail n'est pas valide : vérifiez-la (par exemple nom@exemple.fr)."
            ),
        },
    )
    phone = forms.CharField(
        label=gettext_lazy("Téléphone"),
        required=False,
        max_length=32,
        help_text=gettext_lazy("Par exemple +33 1 23 45 67 89."),
    )
    topic = forms.ChoiceField(
        label=gettext_lazy("Sujet"),
        error_messages={"required": gettext_lazy("Choisissez le sujet de votre demande.")},
    )
    edition = forms.ModelChoiceField(
        label=gettext_lazy("Édition concernée"),
        queryset=EditionPage.objects.none(),
        required=False,
        empty_label=gettext_lazy("Aucune en particulier"),
        error_messages={"invalid_choice": gettext_lazy("Choisissez une édition de la liste.")},
    )
    message = forms.CharField(
        label=gettext_lazy("Message"),
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": gettext_lazy("Écrivez votre message.")},
    )
    consent = forms.BooleanField(
        error_messages={
            "required": gettext_lazy(
                "Vous devez accepter le traitement de ces informations pour envoyer votre demande."
            )
        },
    )
    # The honeypot: hidden from people (visually and from assistive technologies) and out of
    # the tab order, so only a robot fills it in. Any value makes the enquiry spam.
    website = forms.CharField(
        label=gettext_lazy("Site web (laissez ce champ vide)"),
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "tabindex": "-1", "aria-hidden": "true"}
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = settings.ENQUIRY_MAX_MESSAGE_LENGTH
        message = self.fields["message"]
        message.validators.append(MaxLengthValidator(limit))
        message.widget.attrs["maxlength"] = str(limit)
        message.error_messages["max_length"] = _(
            "Votre message est trop long : %(show_value)d caractères pour %(limit_value)d au "
            "plus. Raccourcissez-le."
        )
        message.help_text = _("%(limit)s caractères au plus.") % {"limit": limit}
        self.fields["consent"].label = _(
            "J'accepte que la Fing utilise ces informations pour répondre à ma demande. Elles "
            "sont conservées %(period)s, puis effacées."
        ) % {"period": retention_period()}
        self.fields["topic"].choices = [("", _("Choisissez un sujet")), *Topic.choices]
        self.fields["edition"].queryset = _french_editions()
        titles = _edition_titles(translation.get_language())
        self.fields["edition"].label_from_instance = lambda edition: (
            f"{titles.get(edition.translation_key, edition.title)} ({edition.years})"
        )
        for name, autocomplete in (
            ("name", "name"),
            ("organisation", "organization"),
            ("email", "email"),
            ("phone", "tel"),
        ):
            self.fields[name].widget.attrs["autocomplete"] = autocomplete
        self.fields["phone"].widget.input_type = "tel"

    def clean_name(self):
        return _one_line(self.cleaned_data["name"], _("Indiquez votre nom."))

    def clean_organisation(self):
        return _one_line(self.cleaned_data["organisation"], _("Indiquez votre organisation."))

    def clean_phone(self):
        raw = self.cleaned_data["phone"].strip()
        if not raw:
            return ""
        try:
            number = phonenumbers.parse(raw, "FR")
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise forms.ValidationError(
                _(
                    "Ce numéro de téléphone n'est pas valide : indiquez-le avec l'indicatif, "
                    "par exemple +33 1 23 45 67 89."
                )
            )
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _one_line(value, error):
    """Whitespace (newlines included: the value goes into an e-mail subject) collapsed."""
    value = " ".join(value.split())
    if not any(ch.isalnum() for ch in value):
        raise forms.ValidationError(error)
    return value


def _french_editions():
    """The editions an enquiry may be about: the French (source) pages, newest first."""
    return (
        EditionPage.objects.live()
        .filter(locale__language_code=settings.LANGUAGE_CODE)
        .order_by("-start_year")
    )


def _edition_titles(language) -> dict:
    """Edition titles in `language`, by translation key (the French title when untranslated)."""
    return tree_cache.get_or_compute(
        f"enquiry-edition-titles:{language}",
        lambda: dict(
            EditionPage.objects.live()
            .filter(locale__language_code=language)
            .values_list("translation_key", "title")
        ),
    )


def initial_values(topic="", edition=None) -> dict:
    """The form's initial values: a topic, and an edition page in any language."""
    initial = {}
    if topic in Topic.values:
        initial["topic"] = topic
    if edition is not None:
        sources = tree_cache.get_or_compute(
            "enquiry-edition-sources",
            lambda: dict(_french_editions().values_list("translation_key", "pk")),
        )
        source = sources.get(edition.translation_key)
        if source is not None:
            initial["edition"] = source
    return initial


# --- Storing ---------------------------------------------------------------------------


def store(request, data) -> Enquiry:
    """Store a valid submission, in the request's transaction; once it commits, mail the
    contact and the visitor, unless it is spam."""
    reason = spam_reason(request, data)
    language = translation.get_language()
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    enquiry = Enquiry.objects.create(
        name=data["name"],
        organisation=data["organisation"],
        email=data["email"],
        phone=data["phone"],
        topic=data["topic"],
        edition=data["edition"],
        message=data["message"],
        language=language,
        consent_at=timezone.now(),
        client_key=client_key(request),
        state=Enquiry.State.SPAM if reason else Enquiry.State.NEW,
        spam_reason=reason,
        routed_to=route(data["topic"]),
    )
    if reason:
        logger.info("Enquiry %s stored as spam (%s)", enquiry.reference, reason)
        return enquiry
    # Should the broker be unreachable, queueing gives up at once and logs it (robust: so
    # does any other error): the visitor still gets the thank-you page, and the periodic
    # `send_pending_enquiries` sends the e-mails once the broker is back.
    transaction.on_commit(lambda: _notify(enquiry.pk), robust=True)
    transaction.on_commit(lambda: _acknowledge(enquiry.pk), robust=True)
    return enquiry


def _notify(enquiry_id):
    from .tasks.enquiries import notify_contact, queue_from_request

    queue_from_request(notify_contact, enquiry_id)


def _acknowledge(enquiry_id):
    from .tasks.enquiries import acknowledge_enquiry, queue_from_request

    queue_from_request(acknowledge_enquiry, enquiry_id)


# --- The contact page's views ----------------------------------------------------------


def _render(request, page, template, context, status=200):
    context = {"page": page, "self": page, **context}
    return TemplateResponse(request, f"membership/{template}", context, status=status)


@never_cache
def enquiry_form(request, page):
    """GET: the form (topic from ?topic= or the page's default); POST: store, then redirect
    to the thank-you step (303), or show the errors (400) with what was typed."""
    if request.method == "POST":
        form = EnquiryForm(request.POST)
        if form.is_valid():
            store(request, form.cleaned_data)
            return HttpResponseRedirect(page.url + page.reverse_subpage("thanks"), status=303)
    else:
        form = EnquiryForm(initial=initial_values(request.GET.get("topic") or page.default_topic))
    return _render(
        request,
        page,
        "enquiry_page.html",
        {"form": form, "action": page.url},
        status=400 if form.is_bound else 200,
    )


@never_cache
def thanks(request, page):
    return _render(request, page, "enquiry_thanks.html", {})


# --- E-mails ---------------------------------------------------------------------------


def admin_url(enquiry) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + ADMIN_INSPECT_PATH.format(pk=enquiry.pk)


def _contact_language(contact) -> str:
    languages = [code.strip() for code in (contact.languages if contact else "").split(",")]
    return next(
        (code for code in languages if code in dict(settings.LANGUAGES)), settings.LANGUAGE_CODE
    )


def _context(enquiry, language) -> dict:
    edition = None
    if enquiry.edition is not None:
        translated = enquiry.edition.get_translation_or_none(_locale(language)) or enquiry.edition
        edition = f"{translated.title} ({enquiry.edition.years})"
    return {
        "enquiry": enquiry,
        "language": language,
        "topic": enquiry.get_topic_display(),
        "edition": edition,
        "contact": enquiry.routed_to,
        "admin_url": admin_url(enquiry),
        "retention": retention_period(),
        "site_url": settings.WAGTAILADMIN_BASE_URL.rstrip("/") + f"/{language}/",
    }


def _locale(language):
    from wagtail.models import Locale

    return Locale.objects.filter(language_code=language).first()


def _message(name, language, subject, context, to, reply_to):
    with translation.override(language):
        text = render_to_string(f"{TEMPLATE_DIR}/{name}.txt", context)
        html = render_to_string(f"{TEMPLATE_DIR}/{name}.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        reply_to=reply_to,
        headers={"Content-Language": language},
    )
    message.attach_alternative(html, "text/html")
    return message


def notification_message(enquiry) -> EmailMultiAlternatives:
    """The enquiry, every field and a link to it in the admin, to the routed contact (to
    SERVER_EMAIL when it has none), in the contact's first language; Reply-To: the visitor."""
    contact = enquiry.routed_to
    if contact is None:
        logger.warning("Enquiry %s has no contact: it is sent to SERVER_EMAIL", enquiry.reference)
        to = [settings.SERVER_EMAIL]
    else:
        to = [contact.email]
    language = _contact_language(contact)
    with translation.override(language):
        context = _context(enquiry, language)
        subject = _("Demande de contact — %(topic)s — %(organisation)s") % {
            "topic": context["topic"],
            "organisation": enquiry.organisation or enquiry.name,
        }
    reply_to = [formataddr((enquiry.name, enquiry.email))]
    return _message("enquiry_notification", language, subject, context, to, reply_to)


def acknowledgement_message(enquiry) -> EmailMultiAlternatives:
    """To the visitor, in their language: the enquiry was received and who will answer.

    It does not repeat the message: the form would otherwise let anybody send any text to
    any address through our mail server. Replies go to the contact.
    """
    language = enquiry.language
    contact = enquiry.routed_to
    with translation.override(language):
        context = _context(enquiry, language)
        subject = _("Nous avons bien reçu votre demande — Questions Numériques")
    reply_to = [formataddr((contact.name, contact.email))] if contact else []
    to = [enquiry.email]
    return _message("enquiry_acknowledgement", language, subject, context, to, reply_to)


# --- Retention and sending what is late --------------------------------------------------


def purge_expired(dry_run=False) -> int:
    """Delete the enquiries received more than ENQUIRY_RETENTION_DAYS ago (spam included);
    return how many were (or, with `dry_run`, would be) deleted."""
    days = retention_days()
    expired = Enquiry.objects.filter(created_at__lt=timezone.now() - datetime.timedelta(days=days))
    if dry_run:
        count = expired.count()
        logger.info("%d enquiries are older than %d days (dry run: none deleted)", count, days)
        return count
    _total, per_model = expired.delete()
    count = per_model.get(Enquiry._meta.label, 0)
    logger.info("Deleted %d enquiries older than %d days", count, days)
    return count


PENDING_AFTER = datetime.timedelta(minutes=30)
PENDING_FOR = datetime.timedelta(days=7)


def pending():
    """Enquiries (not spam) whose e-mails are still unsent half an hour after they arrived,
    and less than a week ago: their tasks were never queued (the broker was down), were lost
    or gave up; `send_pending_enquiries` queues them again."""
    now = timezone.now()
    recent = Enquiry.objects.exclude(state=Enquiry.State.SPAM).filter(
        created_at__lt=now - PENDING_AFTER, created_at__gte=now - PENDING_FOR
    )
    return (
        recent.filter(notified_at__isnull=True).values_list("pk", flat=True),
        recent.filter(acknowledged_at__isnull=True).values_list("pk", flat=True),
    )
