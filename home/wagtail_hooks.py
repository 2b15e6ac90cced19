from wagtail import hooks

from .rich_text import LocalizedPageLinkHandler


@hooks.register("register_rich_text_features", order=100)
def register_page_links(features):
    """After Wagtail's own page link handler (order 0), which this one replaces."""
    features.register_link_type(LocalizedPageLinkHandler)
