"""Load the brochure's content: the French page tree, then its English translations.

Each French page is known by a deterministic translation key, `uuid5(NAMESPACE, spec.key)`
(for instance `uuid5(NAMESPACE, "qn:edition:think-small")`), so a page an editor renamed or
moved is still recognised. A run only creates what is missing (a page, or a page's English
translation); a page that exists is left exactly as its editors left it: no new revision, no
republication. A second run on a loaded database therefore changes nothing. The same goes
for the records that are not pages (the partnership prices, the contacts who answer enquiries
and the topic routing): one is created only when missing, and one that exists, whatever an
editor made of it, is left alone.

English pages are made through wagtail-localize, the way the admin's "Translate" action makes
them: a TranslationSource for the French page, a Translation into English, the English strings
imported as a PO file, then the translated page saved and published. The English strings are
paired with the French ones by building both versions of the page from the same data and
extracting their segments; a French segment without an English counterpart is an error, never a
silent fallback to French.
"""

import datetime
import uuid
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from wagtail import blocks
from wagtail.coreutils import find_available_slug
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Locale, Page, Site
from wagtail_localize.fields import TranslatableField
from wagtail_localize.models import Translation, TranslationSource
from wagtail_localize.segments import StringSegmentValue, TemplateSegmentValue
from wagtail_localize.segments.extract import extract_segments

from .brochure import CONTACTS, PAGES, PRICES, ROUTES
from .spec import PAGE_LINK, Ref, Rich, Text

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://www.fing.org/questions-numeriques/")
SOURCE_LANGUAGE = "fr"
TARGET_LANGUAGE = "en"
DEFAULT_SITE_HOSTNAME = "localhost"


class ContentError(Exception):
    """The content data is inconsistent (a missing translation, an unknown block…)."""


def translation_key(key):
    """The translation key shared by every language version of the page `key`."""
    return uuid.uuid5(NAMESPACE, key)


@dataclass
class Summary:
    """What a run of `load_content` did."""

    locales_created: list = field(default_factory=list)
    pages_created: list = field(default_factory=list)
    translations_created: list = field(default_factory=list)
    site_updated: bool = False
    welcome_page_removed: bool = False
    renamed_slugs: list = field(default_factory=list)
    prices_created: list = field(default_factory=list)
    contacts_created: list = field(default_factory=list)
    routes_created: list = field(default_factory=list)

    @property
    def changed(self):
        return bool(
            self.locales_created
            or self.pages_created
            or self.translations_created
            or self.prices_created
            or self.contacts_created
            or self.routes_created
            or self.site_updated
            or self.welcome_page_removed
        )

    def __str__(self):
        if not self.changed:
            return "Nothing to do: the content is already loaded."
        lines = [
            f"Created {len(self.pages_created)} pages and "
            f"{len(self.translations_created)} translations."
        ]
        if self.prices_created:
            count = len(self.prices_created)
            lines.append(
                f"Created {count} partnership price{'s' if count > 1 else ''}: "
                f"{'; '.join(self.prices_created)}."
            )
        if self.contacts_created:
            lines.append(f"Created the contacts: {'; '.join(self.contacts_created)}.")
        if self.routes_created:
            lines.append(f"Routed enquiries: {'; '.join(self.routes_created)}.")
        if self.locales_created:
            lines.append(f"Created the locales: {', '.join(self.locales_created)}.")
        if self.site_updated:
            lines.append("The default site now starts at the French home page.")
        if self.welcome_page_removed:
            lines.append("Removed Wagtail's placeholder “Welcome” page.")
        for old, new in self.renamed_slugs:
            lines.append(f"Slug “{old}” was taken: the page was created as “{new}”.")
        return "\n".join(lines)


@transaction.atomic
def load_content(pages=PAGES, prices=PRICES, contacts=CONTACTS, routes=ROUTES):
    """Create whatever is missing of `pages` (French), their English translations, `prices`,
    `contacts` and their `routes`.

    All or nothing: on any error the database is left as it was. Returns a `Summary`.
    Raises `ContentError` when the data is inconsistent, before writing anything.
    """
    if settings.LANGUAGE_CODE != SOURCE_LANGUAGE:
        raise ContentError(f"LANGUAGE_CODE is {settings.LANGUAGE_CODE!r}, the content is in French")
    english_strings = check_content(pages, prices, contacts, routes)
    summary = Summary()
    source_locale = _ensure_locale(SOURCE_LANGUAGE, summary)
    target_locale = _ensure_locale(TARGET_LANGUAGE, summary)

    _create_source_pages(pages, source_locale, summary)
    home = _find(_root_spec(pages).key, source_locale)
    _point_default_site_at(home, summary)
    _remove_welcome_page(summary)
    for spec in pages:
        _translate(spec, source_locale, target_locale, english_strings[spec.key], summary)
    _create_prices(prices, source_locale, summary)
    _create_contacts(contacts, routes, summary)
    return summary


def check_content(pages=PAGES, prices=PRICES, contacts=CONTACTS, routes=ROUTES):
    """Check the data without touching the database; return the English string of every
    French segment, by page key then by (segment path, French string)."""
    specs = {}
    for spec in pages:
        if spec.key in specs:
            raise ContentError(f"two pages have the key {spec.key!r}")
        if spec.parent is not None and spec.parent not in specs:
            raise ContentError(f"{spec.key}: its parent {spec.parent!r} must come before it")
        specs[spec.key] = spec
    _root_spec(pages)
    for spec in pages:
        _values, references, links = _field_values(spec, _model(spec), SOURCE_LANGUAGE)
        linked = {ref.key for ref in references.values()}.union(*links.values())
        unknown = sorted(linked - set(specs))
        if unknown:
            raise ContentError(f"{spec.key}: it links to pages that do not exist: {unknown}")
    _check_prices(prices, specs)
    _check_contacts(contacts, routes)
    return {spec.key: translation_strings(spec) for spec in pages}


def translation_strings(spec):
    """Pair the French and English segments of one page: {(path, French): English}."""
    french = extract_segments(build_page(spec, SOURCE_LANGUAGE))
    english = extract_segments(build_page(spec, TARGET_LANGUAGE))

    templates = [(s.path, s.template) for s in french if isinstance(s, TemplateSegmentValue)]
    english_templates = [
        (s.path, s.template) for s in english if isinstance(s, TemplateSegmentValue)
    ]
    if templates != english_templates:
        raise ContentError(
            f"{spec.key}: the French and English rich text do not have the same structure"
        )

    french = [s for s in french if isinstance(s, StringSegmentValue)]
    english = [s for s in english if isinstance(s, StringSegmentValue)]
    french_paths = [s.path for s in french]
    english_paths = [s.path for s in english]
    if french_paths != english_paths:
        untranslated = sorted(set(french_paths) - set(english_paths))
        unmatched = sorted(set(english_paths) - set(french_paths))
        raise ContentError(
            f"{spec.key}: French segments without English text: {untranslated or 'none'}; "
            f"English segments without French text: {unmatched or 'none'}"
        )
    return {
        (fr.path, fr.string.data): en.string.data for fr, en in zip(french, english, strict=True)
    }


def build_page(spec, language):
    """An unsaved page of `spec`'s model holding its text in `language`."""
    model = _model(spec)
    values, _references, _links = _field_values(spec, model, language)
    return model(**values)


# --- The French tree ------------------------------------------------------------------


def _create_source_pages(pages, locale, summary):
    created = []
    for spec in pages:
        if _find(spec.key, locale) is not None:
            continue
        parent = _parent(spec, locale)
        model = _model(spec)
        values, references, links = _field_values(spec, model, SOURCE_LANGUAGE)
        page = model(**values, locale=locale, translation_key=translation_key(spec.key), live=False)
        if spec.tags:
            page.tags.add(*spec.tags)
        slug = find_available_slug(parent, page.slug)
        if slug != page.slug:
            summary.renamed_slugs.append((page.slug, slug))
            page.slug = slug
        parent.add_child(instance=page)
        created.append((spec, page, references, links))
        summary.pages_created.append(f"{locale.language_code}: {page.title}")

    # Links between pages are set once every page exists, then each new page is published
    # once: one revision per page. The page is reloaded first: the instance built above
    # predates its children, and publishing it would write back its stale tree fields.
    for spec, created_page, references, links in created:
        page = created_page.specific_class.objects.get(pk=created_page.pk)

        def target(key, page=page):
            found = _find(key, locale)
            if found is None:
                raise ContentError(f"{page.title}: no page has the key {key!r}")
            return found

        for name, reference in references.items():
            setattr(page, name, target(reference.key))
        if links:
            values, _references, _links = _field_values(
                spec, type(page), SOURCE_LANGUAGE, page_id=lambda key: target(key).pk
            )
            for name in links:
                setattr(page, name, values[name])
        page.save_revision().publish()


def _point_default_site_at(home, summary):
    """Make the French home page the root of the default site, which answers any host name.

    A default site whose root an editor chose is left alone; only Wagtail's placeholder root
    is replaced.
    """
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname=DEFAULT_SITE_HOSTNAME,
            port=80,
            root_page=home,
            is_default_site=True,
            site_name=settings.WAGTAIL_SITE_NAME,
        )
        summary.site_updated = True
    elif site.root_page_id != home.pk and _is_placeholder(site.root_page):
        site.root_page = home
        site.site_name = site.site_name or settings.WAGTAIL_SITE_NAME
        site.save()
        summary.site_updated = True


def _remove_welcome_page(summary):
    """Delete Wagtail's "Welcome to your new Wagtail site!" page, once nothing uses it."""
    for page in Page.objects.filter(depth=2, content_type=_plain_page_type()):
        if page.numchild == 0 and not Site.objects.filter(root_page=page).exists():
            page.delete()
            summary.welcome_page_removed = True


def _is_placeholder(page):
    return page.depth == 1 or (page.depth == 2 and page.content_type_id == _plain_page_type().pk)


def _plain_page_type():
    # Only Wagtail's installer creates plain `wagtailcore.Page` pages: editors cannot.
    return ContentType.objects.get_for_model(Page)


# --- English translations -------------------------------------------------------------


def _translate(spec, source_locale, target_locale, english_strings, summary):
    if Page.objects.filter(
        translation_key=translation_key(spec.key), locale=target_locale
    ).exists():
        return
    page = _find(spec.key, source_locale)
    source, created = TranslationSource.get_or_create_from_instance(page)
    if not created:
        # An earlier source may predate an editor's change to the French page.
        source, _created = TranslationSource.update_or_create_from_instance(page)
    translation, _created = Translation.objects.get_or_create(
        source=source, target_locale=target_locale
    )
    if not translation.enabled:
        translation.enabled = True
        translation.save(update_fields=["enabled"])

    po = translation.export_po()
    missing = []
    for entry in po:
        if entry.obsolete or entry.msgstr:
            continue  # an obsolete string, or one already translated in wagtail-localize
        english = english_strings.get((entry.msgctxt, entry.msgid))
        if english is None:
            missing.append(f"{entry.msgctxt}: {entry.msgid!r}")
        else:
            entry.msgstr = english
    if missing:
        raise ContentError(
            f"{page.title} ({spec.key}): no English text for "
            + "; ".join(missing)
            + ". If an editor changed the French page, translate it from the admin."
        )
    warnings = translation.import_po(po)
    if warnings:
        raise ContentError(f"{page.title} ({spec.key}): the PO import reported {warnings}")

    # What `Translation.save_target()` does, without its fallback to the French text for a
    # missing string (an error here), and publishing now rather than when the outermost
    # transaction commits, so that the command also works inside a test's transaction.
    translated, _created = source.create_or_update_translation(
        target_locale, publish=False, fallback=False, copy_parent_pages=False
    )
    translated.get_latest_revision().publish()
    summary.translations_created.append(f"{target_locale.language_code}: {translated.title}")


# --- Prices ---------------------------------------------------------------------------


def _check_prices(prices, specs):
    price_model = _price_model()
    edition_model = price_model._meta.get_field("edition").related_model
    seen = set()
    for price in prices:
        where = f"price {price.edition} / {price.tier}"
        spec = specs.get(price.edition)
        if spec is None or _model(spec) is not edition_model:
            raise ContentError(f"{where}: {price.edition!r} is no edition page of the content")
        if (price.edition, price.tier) in seen:
            raise ContentError(f"{where}: the tier has two prices")
        seen.add((price.edition, price.tier))
        try:
            price_model(tier=price.tier, amount_cents=price.amount_cents).clean_fields(
                exclude=["edition"]
            )
        except ValidationError as error:
            raise ContentError(f"{where}: {error.messages}") from None


def _create_prices(prices, locale, summary):
    """Create the price of each tier an edition has no price for; never change a price."""
    price_model = _price_model()
    for price in prices:
        edition = _find(price.edition, locale)
        # Any price of the tier counts, whatever the locale of the page it is attached to:
        # `Price.for_edition` finds it the same way.
        if price_model.objects.filter(
            edition__translation_key=edition.translation_key, tier=price.tier
        ).exists():
            continue
        created = price_model.objects.create(
            edition=edition, tier=price.tier, amount_cents=price.amount_cents
        )
        summary.prices_created.append(
            f"{edition.title}, {created.tier}: €{created.amount_cents / 100:,.2f}"
        )


def _price_model():
    return apps.get_model("membership", "Price")


# --- Contacts and the routing of enquiries --------------------------------------------


def _check_contacts(contacts, routes):
    contact_model = apps.get_model("membership", "Contact")
    route_model = apps.get_model("membership", "TopicRoute")
    emails = set()
    for contact in contacts:
        email = contact.email.lower()
        if email in emails:
            raise ContentError(f"contact {contact.email}: given twice")
        emails.add(email)
        try:
            contact_model(
                name=contact.name,
                role=contact.role,
                email=contact.email,
                languages=contact.languages,
            ).clean_fields()
        except ValidationError as error:
            raise ContentError(f"contact {contact.email}: {error.messages}") from None
    topics = set()
    for route in routes:
        where = f"route {route.topic} → {route.contact}"
        if route.topic in topics:
            raise ContentError(f"{where}: the topic is routed twice")
        topics.add(route.topic)
        if route.contact.lower() not in emails:
            raise ContentError(f"{where}: no contact has this e-mail address")
        try:
            route_model(topic=route.topic).clean_fields(exclude=["contact"])
        except ValidationError as error:
            raise ContentError(f"{where}: {error.messages}") from None


def _create_contacts(contacts, routes, summary):
    """Create each contact no contact matches (by e-mail address or name) and the route of
    each topic that has none; never change a contact or a route."""
    contact_model = apps.get_model("membership", "Contact")
    route_model = apps.get_model("membership", "TopicRoute")
    found = {}
    for spec in contacts:
        contact = (
            contact_model.objects.filter(Q(email__iexact=spec.email) | Q(name__iexact=spec.name))
            .order_by("pk")
            .first()
        )
        if contact is None:
            contact = contact_model.objects.create(
                name=spec.name, role=spec.role, email=spec.email, languages=spec.languages
            )
            summary.contacts_created.append(f"{spec.name} <{spec.email}>")
        found[spec.email.lower()] = contact
    for spec in routes:
        if route_model.objects.filter(topic=spec.topic).exists():
            continue
        contact = found[spec.contact.lower()]
        route_model.objects.create(topic=spec.topic, contact=contact)
        summary.routes_created.append(f"{spec.topic} → {contact.name}")


# --- Building pages from the data -----------------------------------------------------


def _field_values(spec, model, language, page_id=None):
    """The model field values of `spec` in `language`, and its links to other pages.

    Returns the values, the page fields that link to another page ({name: Ref}) and the keys
    of the pages each field's rich text links to ({name: {key, …}}). Rich-text links point at
    the page id that `page_id(key)` gives; without `page_id` (before the pages exist), at no
    page.
    """
    translated = {
        f.field_name for f in model.translatable_fields if isinstance(f, TranslatableField)
    }
    values, references, links = {}, {}, {}
    for name, value in spec.fields.items():
        model_field = model._meta.get_field(name)
        where = f"{spec.key}.{name}"
        rich_text = _RichText(language, page_id)
        if isinstance(value, Ref):
            references[name] = value
        elif isinstance(model_field, StreamField):
            values[name] = _stream_data(model_field.stream_block, value, rich_text, where)
        elif isinstance(model_field, RichTextField):
            values[name] = rich_text.html(value, where)
        elif isinstance(value, Text):
            values[name] = getattr(value, language)
        elif isinstance(value, str) and name in translated:
            raise ContentError(f"{where}: translatable text is given as Text(fr, en)")
        else:
            values[name] = value
        if rich_text.linked_keys:
            links[name] = rich_text.linked_keys
    return values, references, links


class _RichText:
    """Turns `Rich` values into rich-text HTML in one language, resolving page links."""

    def __init__(self, language, page_id=None):
        self.language = language
        self.page_id = page_id
        self.linked_keys = set()

    def html(self, value, where):
        if not isinstance(value, Rich):
            raise ContentError(f"{where}: rich text is given as Rich(…)")
        return PAGE_LINK.sub(self._page_link, value.html(self.language))

    def _page_link(self, match):
        key = match.group("key")
        self.linked_keys.add(key)
        target = self.page_id(key) if self.page_id else ""
        return f'<a linktype="page" id="{target}">'


def _stream_data(stream_block, items, rich_text, path):
    data = []
    for index, (block_type, value) in enumerate(items):
        block_path = f"{path}.{index}"
        try:
            block = stream_block.child_blocks[block_type]
        except KeyError:
            raise ContentError(f"{block_path}: no block type {block_type!r}") from None
        data.append(
            {
                "type": block_type,
                "value": _block_data(block, value, rich_text, block_path),
                "id": _block_id(block_path),
            }
        )
    return data


def _block_data(block, value, rich_text, path):
    language = rich_text.language
    if isinstance(block, blocks.StreamBlock):
        return _stream_data(block, value, rich_text, path)
    if isinstance(block, blocks.ListBlock):
        return [
            {
                "type": "item",
                "value": _block_data(block.child_block, item, rich_text, f"{path}.{index}"),
                "id": _block_id(f"{path}.{index}"),
            }
            for index, item in enumerate(value)
        ]
    if isinstance(block, blocks.StructBlock):
        unknown = set(value) - set(block.child_blocks)
        if unknown:
            raise ContentError(f"{path}: no such field(s) {sorted(unknown)}")
        data = {}
        for name, child_block in block.child_blocks.items():
            if name in value:
                data[name] = _block_data(child_block, value[name], rich_text, f"{path}.{name}")
            elif isinstance(child_block, blocks.CharBlock | blocks.TextBlock):
                data[name] = ""  # an optional text left empty, as the admin saves it
            else:
                data[name] = child_block.get_prep_value(child_block.get_default())
        return data
    if isinstance(block, blocks.RichTextBlock):
        return rich_text.html(value, path)
    if isinstance(value, Text):
        return getattr(value, language)
    if isinstance(block, blocks.CharBlock | blocks.TextBlock):
        raise ContentError(f"{path}: translatable text is given as Text(fr, en)")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _block_id(path):
    """The same id in French and English, and from one run to the next."""
    return str(uuid.uuid5(NAMESPACE, path))


# --- Lookups --------------------------------------------------------------------------


def _ensure_locale(language_code, summary):
    locale, created = Locale.objects.get_or_create(language_code=language_code)
    if created:
        summary.locales_created.append(language_code)
    return locale


def _find(key, locale):
    page = Page.objects.filter(translation_key=translation_key(key), locale=locale).first()
    return page.specific if page else None


def _parent(spec, locale):
    if spec.parent is None:
        return Page.get_first_root_node()
    parent = _find(spec.parent, locale)
    if parent is None:
        raise ContentError(f"{spec.key}: its parent {spec.parent!r} does not exist")
    return parent


def _model(spec):
    try:
        return apps.get_model(spec.model)
    except (LookupError, ValueError):
        raise ContentError(f"{spec.key}: no page model {spec.model!r}") from None


def _root_spec(pages):
    roots = [spec for spec in pages if spec.parent is None]
    if len(roots) != 1:
        raise ContentError(f"the content needs exactly one home page, not {len(roots)}")
    return roots[0]
