"""Stripe posts to the exact URL configured and follows no redirect."""

import pytest

from membership.models import WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/stripe/webhook/", "/stripe/webhook"])
def test_the_webhook_answers_with_or_without_the_trailing_slash(client, settings, path):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test"

    response = client.post(path, b"{}", content_type="application/json")

    assert response.status_code == 400  # unsigned: refused, not redirected, not a 500
    assert not WebhookEvent.objects.exists()
