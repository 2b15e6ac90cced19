"""The sign-up journey on an edition's offer page: form → confirmation → payment.

The partnership is saved (state "draft") as soon as the form is valid, so nothing the
partner typed is lost; this browser session then owns it and may change it until payment.
"""

import logging

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from .forms import PaymentChoiceForm, SignupForm
from .models import Partnership, PartnershipState, PaymentAttempt, PaymentMethod, Tier
from .services import (
    DuplicatePartnership,
    PriceNotSet,
    await_online_payment,
    choose_bank_transfer,
    create_partnership,
    decide_price,
    find_duplicate,
)

logger = logging.getLogger(__name__)
SESSION_KEY = "membership_signups"
EDITABLE_FIELDS = list(SignupForm.base_fields)


def _owned(request, reference):
    if reference not in request.session.get(SESSION_KEY, []):
        raise Http404
    try:
        return Partnership.objects.select_related("edition").get(reference=reference)
    except Partnership.DoesNotExist:
        raise Http404 from None


def _remember(request, partnership):
    owned = request.session.get(SESSION_KEY, [])
    if partnership.reference not in owned:
        request.session[SESSION_KEY] = [*owned, partnership.reference][-20:]


def _render(request, page, template, context, status=200):
    context = {"page": page, "self": page, **context}
    return TemplateResponse(request, f"membership/{template}", context, status=status)


@never_cache
def signup(request, page):
    """GET: the form (pre-filled when this session edits its draft); POST: save the draft."""
    edition = page.edition
    draft = None
    if reference := request.GET.get("ref") or request.POST.get("ref"):
        draft = _owned(request, reference)
        if draft.state != PartnershipState.DRAFT:
            return HttpResponseRedirect(
                page.url + page.reverse_subpage("confirm", args=[reference])
            )
    if request.method == "POST":
        form = SignupForm(request.POST)
        if form.is_valid():
            try:
                partnership = _save(form.cleaned_data, edition, draft)
            except DuplicatePartnership as duplicate:
                existing = duplicate.existing
                if existing.reference in request.session.get(SESSION_KEY, []):
                    # this browser's own sign-up (the back button, a second tab): carry on
                    # with it rather than refuse it
                    if existing.state == PartnershipState.DRAFT:
                        partnership = _save(form.cleaned_data, edition, existing)
                    else:
                        partnership = existing
                    return HttpResponseRedirect(_confirm_url(page, partnership))
                form.add_error("legal_name", _duplicate_message())
            except PriceNotSet:
                logger.error("No price configured for %s: sign-up refused", edition)
                form.add_error(
                    None,
                    _(
                        "Les inscriptions à cette édition ne sont pas ouvertes pour le moment. "
                        "Écrivez au contact partenariats."
                    ),
                )
            else:
                _remember(request, partnership)
                if draft is None or draft.contact_email != partnership.contact_email:
                    # a new sign-up, or a corrected address: the link goes to the right person
                    transaction.on_commit(lambda: _send_magic_link(partnership.pk), robust=True)
                return HttpResponseRedirect(_confirm_url(page, partnership))
    else:
        initial = {name: getattr(draft, name) for name in EDITABLE_FIELDS if hasattr(draft, name)}
        form = SignupForm(initial=initial or None)
    return _render(
        request,
        page,
        "signup.html",
        {"form": form, "draft": draft, "edition": edition, "prices": page.prices()},
        status=400 if form.is_bound else 200,
    )


def _confirm_url(page, partnership):
    return page.url + page.reverse_subpage("confirm", args=[partnership.reference])


def _duplicate_message():
    """Another browser's sign-up for the same organisation: say so without revealing it."""
    from django.urls import reverse

    return _(
        "Votre organisation est déjà inscrite à cette édition. Si vous avez commencé "
        "l'inscription, reprenez-la depuis le lien envoyé par e-mail (ou demandez-en un "
        "nouveau : %(url)s) ; sinon, écrivez au contact partenariats."
    ) % {"url": reverse("membership:partner_space_login")}


def _save(data, edition, draft):
    if draft is None:
        return create_partnership(edition, data, language=get_language())
    draft = Partnership.objects.get(pk=draft.pk)  # leave the caller's copy as it was
    decision = decide_price(edition, data["membership_number"], data["contact_email"])
    for name in EDITABLE_FIELDS:
        if name != "accept_terms":
            setattr(draft, name, data[name])
    draft.tier, draft.amount_cents, draft.adherent = (
        decision.tier,
        decision.amount_cents,
        decision.adherent,
    )
    try:
        with transaction.atomic():
            draft.save()
    except IntegrityError:
        existing = find_duplicate(edition, draft.legal_name)
        if existing is None or existing.pk == draft.pk:
            raise
        raise DuplicatePartnership(existing) from None
    return draft


def can_choose_payment(partnership):
    """Before any payment, and again after an online payment was abandoned or failed."""
    return partnership.state == PartnershipState.DRAFT or (
        partnership.state == PartnershipState.AWAITING_PAYMENT
        and partnership.payment_method != PaymentMethod.TRANSFER
    )


@never_cache
def confirm(request, page, reference):
    """Show who signs, the tier and the amount decided by the server; choose how to pay."""
    partnership = _owned(request, reference)
    form = PaymentChoiceForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and can_choose_payment(partnership):
        if form.is_valid():
            return _start_payment(request, page, partnership, form.cleaned_data["method"])
    return _render(
        request,
        page,
        "confirm.html",
        {
            "partnership": partnership,
            "form": form,
            "is_adherent": partnership.tier == Tier.ADHERENT,
            "membership_number_unmatched": partnership.membership_number
            and partnership.tier != Tier.ADHERENT,
            "can_choose_payment": can_choose_payment(partnership),
        },
        status=400 if request.method == "POST" and not form.is_valid() else 200,
    )


def _start_payment(request, page, partnership, method):
    done_url = page.url + page.reverse_subpage("done", args=[partnership.reference])
    if method == PaymentMethod.TRANSFER:
        choose_bank_transfer(partnership)
        return HttpResponseRedirect(done_url)

    from .payments.stripe_gateway import GatewayError, create_checkout_session

    attempt = PaymentAttempt.objects.create(
        partnership=partnership, method=method, amount_cents=partnership.total_cents
    )
    confirm_url = page.url + page.reverse_subpage("confirm", args=[partnership.reference])
    try:
        session = create_checkout_session(
            partnership,
            attempt,
            methods=[method],
            success_url=request.build_absolute_uri(done_url) + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=request.build_absolute_uri(confirm_url),
        )
    except GatewayError as error:
        logger.error("Checkout for %s failed: %s", partnership.reference, error)
        attempt.status = PaymentAttempt.Status.FAILED
        attempt.failure_message = str(error)
        attempt.save(update_fields=["status", "failure_message"])
        messages.error(
            request,
            _(
                "Le paiement en ligne est indisponible pour le moment. Réessayez plus tard "
                "ou choisissez le virement sur facture."
            ),
        )
        return HttpResponseRedirect(confirm_url)
    attempt.checkout_session_id = session.id
    attempt.save(update_fields=["checkout_session_id"])
    await_online_payment(partnership, method)
    return HttpResponseRedirect(session.url, status=303)


@never_cache
def done(request, page, reference):
    partnership = _owned(request, reference)
    if partnership.state == PartnershipState.DRAFT:
        return HttpResponseRedirect(_confirm_url(page, partnership))
    return _render(request, page, "done.html", {"partnership": partnership})


def _send_magic_link(partnership_id):
    from .tasks.mail import send_magic_link

    send_magic_link.delay(partnership_id)
