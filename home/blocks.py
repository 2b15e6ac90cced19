"""StreamField blocks shared by every page type."""

from django.utils.translation import gettext_lazy as _

from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images.blocks import ImageBlock


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(label=_("Texte"))
    level = blocks.ChoiceBlock(
        choices=[("h2", _("Titre de section (h2)")), ("h3", _("Sous-titre (h3)"))],
        default="h2",
        label=_("Niveau"),
        search_index=False,  # the level's label is not part of the text
    )

    class Meta:
        icon = "title"
        label = _("Titre")
        template = "home/blocks/heading_block.html"


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("Citation"))
    attribution = blocks.CharBlock(required=False, label=_("Source"))

    class Meta:
        icon = "openquote"
        label = _("Citation")
        template = "home/blocks/quote_block.html"


class ListBlock(blocks.StructBlock):
    heading = blocks.CharBlock(required=False, label=_("Intitulé"))
    items = blocks.ListBlock(blocks.CharBlock(label=_("Élément")), label=_("Éléments"))

    class Meta:
        icon = "list-ul"
        label = _("Liste")
        template = "home/blocks/list_block.html"


class DocumentLinkBlock(blocks.StructBlock):
    document = DocumentChooserBlock(label=_("Document"))
    title = blocks.CharBlock(required=False, label=_("Intitulé (sinon le titre du document)"))

    class Meta:
        icon = "doc-full"
        label = _("Document")
        template = "home/blocks/document_link_block.html"


class BaseStreamBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(
        features=["bold", "italic", "link", "ol", "ul", "document-link"],
        label=_("Paragraphe"),
        icon="pilcrow",
    )
    image = ImageBlock(label=_("Image"))
    quote = QuoteBlock()
    list = ListBlock()
    document = DocumentLinkBlock()
