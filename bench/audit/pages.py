"""The public pages checked for accessibility and SEO, by language: the Lighthouse audit
(``make audit``) and the axe-core browser tests (tests/test_browser_a11y.py) go through the
same ones."""

from urllib.parse import quote

EDITION = {"fr": "/fr/editions/think-small/", "en": "/en/editions/think-small/"}
PAGES = {
    "fr": {
        "home": "/fr/",
        "edition": EDITION["fr"],
        "article": EDITION["fr"] + "la-puissance-transformatrice-de-la-petite-echelle/",
        "search": "/fr/search/?q=" + quote("numérique"),
        "offer": EDITION["fr"] + "devenir-partenaire/",
        "sign-up": EDITION["fr"] + "devenir-partenaire/inscription/",
        "enquiry": "/fr/nous-contacter/",
    },
    "en": {
        "home": "/en/",
        "edition": EDITION["en"],
        "article": EDITION["en"] + "the-transformative-power-of-the-small-scale/",
        "search": "/en/search/?q=small",
        "offer": EDITION["en"] + "become-a-partner/",
        "sign-up": EDITION["en"] + "become-a-partner/inscription/",
        "enquiry": "/en/contact-us/",
    },
}
