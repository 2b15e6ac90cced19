from django import template
from django.utils import translation

register = template.Library()


@register.simple_tag(takes_context=True)
def enquiry_form_for(context, topic="", edition=None):
    """`{% enquiry_form_for topic="partnership" edition=edition as enquiry %}`: the enquiry
    form with that topic and edition chosen (`enquiry.form`), and the URL of the contact page
    in the active language it posts to (`enquiry.action`); None when the site has no live
    contact page in this language. Render it with includes/enquiry_form.html."""
    from home import tree_cache
    from home.models.base import not_restricted
    from membership.enquiries import EnquiryForm, initial_values
    from membership.models import EnquiryPage

    request = context.get("request")
    language = translation.get_language()

    def contact_page_url():
        page = (
            EnquiryPage.objects.live()
            .filter(not_restricted(), locale__language_code=language)
            .order_by("path")
            .first()
        )
        return page.get_url(request) if page is not None else None

    action = tree_cache.get_or_compute(f"enquiry-page-url:{language}", contact_page_url)
    if action is None:
        return None
    return {"form": EnquiryForm(initial=initial_values(topic, edition)), "action": action}
