"""Blocks of an edition: its process timeline, its deliverables, the questions it raises."""

from django.utils.translation import gettext_lazy as _

from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock


class PhaseBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Intitulé de la phase"))
    period = blocks.CharBlock(
        label=_("Période affichée"), help_text=_("Par exemple « Mai – septembre 2016 ».")
    )
    start_date = blocks.DateBlock(label=_("Début"))
    end_date = blocks.DateBlock(label=_("Fin"))
    aims = blocks.TextBlock(label=_("Objectifs"))
    formats = blocks.ListBlock(blocks.CharBlock(label=_("Format")), label=_("Formats"))

    class Meta:
        icon = "date"
        label = _("Phase")
        template = "editions/blocks/phase_block.html"

    def clean(self, value):
        result = super().clean(value)
        if (
            result["start_date"]
            and result["end_date"]
            and result["end_date"] < result["start_date"]
        ):
            raise blocks.StructBlockValidationError(
                {"end_date": _("La fin de la phase précède son début.")}
            )
        return result


class DeliverableBlock(blocks.StructBlock):
    kind = blocks.ChoiceBlock(
        choices=[
            ("cahier", _("Cahier d'enjeux")),
            ("fiches", _("Fiches et outils méthodologiques")),
            ("seminaire", _("Séminaire")),
            ("autre", _("Autre publication")),
        ],
        label=_("Type"),
    )
    title = blocks.CharBlock(label=_("Intitulé"))
    description = blocks.TextBlock(required=False, label=_("Description"))
    document = DocumentChooserBlock(required=False, label=_("Document"))

    class Meta:
        icon = "doc-full"
        label = _("Livrable")
        template = "editions/blocks/deliverable_block.html"


class QuestionBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("Question"))
    details = blocks.ListBlock(
        blocks.CharBlock(label=_("Élément")), required=False, label=_("Précisions")
    )

    class Meta:
        icon = "help"
        label = _("Question")
        template = "editions/blocks/question_block.html"
