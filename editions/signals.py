"""An article moved under another edition belongs to that edition from then on."""

from django.dispatch import receiver

from wagtail.signals import post_page_move


@receiver(post_page_move)
def article_moved(sender, instance, parent_page_after, **kwargs):
    from .models import ArticlePage, EditionPage

    parent = parent_page_after.specific
    if isinstance(parent, EditionPage):
        ArticlePage.objects.filter(pk=instance.pk).update(edition=parent)
