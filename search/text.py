"""Words, stems and highlighted snippets, for the engines that do not make their own.

Stems come from the Snowball stemmers that PostgreSQL's ``french`` and ``english`` text
search configurations also use, so a highlighted word is one the database matched
(snowballstemmer runs on PyStemmer's C implementation when it is installed, as here).
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

from django.utils.html import escape

import snowballstemmer

WORD_RE = re.compile(r"\w+(?:['’]\w+)*", re.UNICODE)
ELISION_RE = re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)
STEMMER_LANGUAGES = {"fr": "french", "en": "english"}


def fold(text: str) -> str:
    """Lower case without accents: « Échelles » → « echelles »."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@cache
def _stemmer(language: str):
    return snowballstemmer.stemmer(STEMMER_LANGUAGES.get(language, "french"))


@lru_cache(maxsize=200_000)
def stem(word: str, language: str) -> str:
    word = ELISION_RE.sub("", word.casefold())
    return fold(_stemmer(language).stemWord(word))


def query_words(query: str) -> list[str]:
    """The words a reader typed, without operators and excluded (``-word``) terms."""
    words = []
    for token in query.replace('"', " ").split():
        if token.startswith("-"):
            continue
        words.extend(WORD_RE.findall(token))
    return words


def highlight(text: str, query: str, language: str, *, words: int = 36) -> str:
    """An HTML snippet of ``text`` around the query's words, each match in ``<mark>``.

    The window of ``words`` words holding the most matches is kept; ellipses mark the cuts.
    Everything but the marks is escaped.
    """
    stems = {stem(word, language) for word in query_words(query)}
    tokens = list(WORD_RE.finditer(text))
    if not tokens:
        return ""
    hits = [i for i, token in enumerate(tokens) if stem(token.group(), language) in stems]
    start = 0
    if hits:
        best = max(hits, key=lambda i: sum(1 for j in hits if i <= j < i + words))
        start = max(0, min(best - 4, len(tokens) - words))
    window = tokens[start : start + words]
    begin = 0 if start == 0 else window[0].start()
    end = len(text) if start + words >= len(tokens) else window[-1].end()
    hit_set = set(hits)
    parts, cursor = [], begin
    for offset, token in enumerate(window, start=start):
        if offset in hit_set:
            parts.append(escape(text[cursor : token.start()]))
            parts.append(f"<mark>{escape(token.group())}</mark>")
            cursor = token.end()
    parts.append(escape(text[cursor:end]))
    snippet = "".join(parts).strip()
    if begin > 0:
        snippet = "… " + snippet
    if end < len(text):
        snippet += " …"
    return snippet
