"""The plain data types `brochure.py` is written in.

A page is a `PageSpec`: its stable key, its model, its parent's key and its field values.
Every translatable string is a `Text(fr, en)`, so the French and the English versions of a
page are built from the same data and keep the same shape (same StreamField blocks, same
rich-text paragraphs). Values that are not text (years, dates, e-mails, flags, URLs) are
given once, as plain Python values.

StreamField values are lists of `(block_type, value)` pairs; a StructBlock value is a dict,
a ListBlock value a list, a RichTextBlock value a `Rich`. The loader gives every block and
list item a deterministic id, so the French and English segment paths match.

A page links to another page of the content by the other page's key: `Ref(key)` as the value
of a page field (a foreign key), `page_link(key, text)` inside rich text.

Records that are not pages are declared alongside the pages: a `PriceSpec` is the price one
tier pays to partner an edition, a `ContactSpec` somebody who answers visitors' enquiries and a
`RouteSpec` which of them receives a topic's enquiries.
"""

import re
from dataclasses import dataclass, field
from typing import NamedTuple


class Text(NamedTuple):
    """One string in both languages. Rich-text fragments may hold inline HTML (<b>, <a>)."""

    fr: str
    en: str


def same(text):
    """A string that reads the same in both languages (a proper name, an address)."""
    return Text(text, text)


class Rich:
    """Rich text: each item is a paragraph (`Text`) or a bulleted list (a list of `Text`)."""

    def __init__(self, *items):
        for item in items:
            if isinstance(item, list):
                if not all(isinstance(entry, Text) for entry in item):
                    raise TypeError(f"a rich-text list holds Text values only: {item!r}")
            elif not isinstance(item, Text):
                raise TypeError(f"a rich-text item is a Text or a list of Text: {item!r}")
        self.items = items

    def html(self, language):
        parts = []
        for item in self.items:
            if isinstance(item, Text):
                parts.append(f"<p>{getattr(item, language)}</p>")
            else:
                entries = "".join(f"<li>{getattr(entry, language)}</li>" for entry in item)
                parts.append(f"<ul>{entries}</ul>")
        return "".join(parts)


class Ref(NamedTuple):
    """A link to another page of the content, by its key (set once both pages exist)."""

    key: str


# How `page_link` marks a link in rich text, until the loader knows the linked page's id.
PAGE_LINK = re.compile(r'<a data-page-key="(?P<key>[^"]+)">')


def page_link(key, text):
    """A rich-text link to the page `key` of the content, for use inside a `Text`.

    The loader stores it as Wagtail's internal page link once the page exists; on an English
    page, Wagtail renders it as a link to the English translation of the linked page.
    """
    return f'<a data-page-key="{key}">{text}</a>'


@dataclass(frozen=True)
class PageSpec:
    """One page of the content tree, in French and English."""

    key: str
    model: str  # "app_label.ModelName"
    parent: str | None  # the parent's key; None for a page directly under Wagtail's root
    fields: dict = field(default_factory=dict)
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class PriceSpec:
    """What one tier pays to partner an edition (a `membership.Price` of the French edition).

    Created when that edition has no price for that tier; an existing price, whatever its
    amount, is the editors' and is left alone.
    """

    edition: str  # the edition page's key
    tier: str  # a `membership.models.offer.Tier` value: "adherent", "non_member"
    amount_cents: int  # in euro cents: 2_000_000 for 20 000 €


@dataclass(frozen=True)
class ContactSpec:
    """Somebody at Fing who answers enquiries (a `membership.Contact`).

    Created when no contact has this e-mail address or this name; an existing contact,
    whatever an editor made of it (another address, inactive…), is the editors' and is left
    alone.
    """

    name: str
    role: str  # as the brochure gives it, in French (the field is not translated)
    email: str
    languages: str = "fr"  # `Contact.languages`: "fr", "fr,en"


@dataclass(frozen=True)
class RouteSpec:
    """Which contact receives the enquiries of a topic (a `membership.TopicRoute`).

    Created when the topic has no route; an existing route is the editors' and is left alone.
    """

    topic: str  # a `membership.models.enquiry.Topic` value: "partnership", "programme"…
    contact: str  # the e-mail address of one of the `ContactSpec`s


__all__ = [
    "PAGE_LINK",
    "ContactSpec",
    "PageSpec",
    "PriceSpec",
    "Ref",
    "Rich",
    "RouteSpec",
    "Text",
    "page_link",
    "same",
]
