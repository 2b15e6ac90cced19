"""Two-factor authentication for the admin: TOTP codes from an authenticator app (django-otp).

`portal.middleware.AdminTwoFactorMiddleware` sends a signed-in editor here until this session
has confirmed a code: to `verify` when they have a confirmed device, else to `setup`, which
shows a QR code (and the key, to type in), and confirms the new device with its first code.
A verified editor may open `setup` again to replace their device (a new phone). A lost
device: `manage.py reset_2fa USERNAME` deletes the user's devices, and they enrol again at
their next sign-in.
"""

import base64
import io
import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

logger = logging.getLogger(__name__)


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=gettext_lazy("Code à 6 chiffres"),
        regex=r"^\s*\d{3}\s?\d{3}\s*$",
        error_messages={"invalid": gettext_lazy("Saisissez les 6 chiffres affichés.")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "maxlength": 7,
            }
        ),
    )

    def clean_code(self):
        return self.cleaned_data["code"].replace(" ", "").strip()


def _next_url(request):
    """Where to go once verified: `next` when it stays on this site, else the dashboard."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("wagtailadmin_home")


def _with_next(view_name, next_url):
    return f"{reverse(view_name)}?{urlencode({'next': next_url})}"


def _check(devices, code):
    """(the device that accepts `code`, None) or (None, why not): django-otp makes one wait
    longer after each wrong code (1 s, 2 s, 4 s…), and a code typed meanwhile is refused."""
    if not any(device.verify_is_allowed()[0] for device in devices):
        return None, _("Trop de codes erronés : patientez quelques secondes avant de réessayer.")
    for device in devices:
        if device.verify_token(code):
            return device, None
    return None, _("Code incorrect ou expiré : saisissez le code affiché maintenant.")


@never_cache
@sensitive_post_parameters("code")
@login_required
def verify(request):
    """Ask the code of one of the user's confirmed devices; once right, the session is
    verified (django-otp) until sign-out."""
    next_url = _next_url(request)
    if request.user.is_verified():
        return redirect(next_url)
    devices = list(TOTPDevice.objects.devices_for_user(request.user, confirmed=True))
    if not devices:
        return redirect(_with_next("two_factor_setup", next_url))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device, refusal = _check(devices, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            return redirect(next_url)
        logger.warning("Two-factor code refused for %s", request.user.get_username())
        form.add_error("code", refusal)
    return render(
        request,
        "portal/security/two_factor_verify.html",
        {"form": form, "next": next_url},
        status=400 if form.errors else 200,
    )


@never_cache
@sensitive_post_parameters("code")
@login_required
def setup(request):
    """Enrol an authenticator app: scan the QR code, then type its first code.

    Without a confirmed device, anyone signed in may enrol; with one, only a verified
    session may replace it, so a stolen password alone never adds a device.
    """
    user = request.user
    next_url = _next_url(request)
    if user_has_device(user, confirmed=True) and not user.is_verified():
        return redirect(_with_next("two_factor_verify", next_url))
    # One pending device per user, kept until confirmed, so reloading shows the same key.
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=_("Application d'authentification"), confirmed=False
        )
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        confirmed, refusal = _check([device], form.cleaned_data["code"])
        if confirmed is not None:
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            logger.info("Two-factor device enrolled for %s", user.get_username())
            messages.success(request, _("Double authentification activée pour votre compte."))
            return redirect(next_url)
        form.add_error("code", refusal)
    qr_code = io.BytesIO()
    write_qrcode_image(device.config_url, qr_code)
    key = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "portal/security/two_factor_setup.html",
        {
            "form": form,
            "next": next_url,
            "qr_code": "data:image/svg+xml;base64," + base64.b64encode(qr_code.getvalue()).decode(),
            "key": " ".join(key[i : i + 4] for i in range(0, len(key), 4)),
            "issuer": settings.OTP_TOTP_ISSUER,
            "replacing": user.is_verified(),
        },
        status=400 if form.errors else 200,
    )
