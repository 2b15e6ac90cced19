from django import template
from django.utils import translation

register = template.Library()


@register.simple_tag(takes_context=True)
def enquiry_form_for(context, topic="", edition=None):
    """`{% enquiry_form_for topic="partnership" edition=edition as enquiry %}`: the enquiry
    form with that topic and edition chosen (`enquiry.form`), and the URL of the contact page
    in the active language it posts to (`enquiry.action`); None when the site has no live
    contact page in this language. Render it with includes/enquiry_form.html."""
    from membership.enquiries import EnquiryForm, initial_values
    from membership.models import EnquiryPage

    page = (
        EnquiryPage.objects.live()
        .public()
        .filter(locale__language_code=translation.get_language())
        .order_by("path")
        .first()
    )
    if page is None:
        return None
    return {
        "form": EnquiryForm(initial=initial_values(topic, edition)),
        "action": page.get_url(context.get("request")),
    }
