"""The portal's initial content: Fing's « Think Small » brochure, in French and English.

`load_content()` creates whatever is missing of it and returns a `Summary`; the
`load_content` management command is its command-line face.
"""

from .loader import ContentError, Summary, check_content, load_content, translation_key

__all__ = ["ContentError", "Summary", "check_content", "load_content", "translation_key"]
