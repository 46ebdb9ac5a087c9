"""Sentences Segnala writes on an issue's timeline, kept in every language the site speaks.

"Fixed by the crew.", "Same problem as issue #17.": written once, when the event happens, and
read later by citizens and staff in their own languages (the public page, the followers'
e-mails, Open311, the back office). Translating at that moment froze them in whatever language
was active then (the site's, or the clicking citizen's). So each is written in every language
of settings.LANGUAGES and kept in the entry's data["texts"]; the `text` column holds the site's
language, for whatever reads it as a plain column (and for entries written before this). What a
person typed (a reply, a note) is kept as typed, in `text` only.
"""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import translation

TEXTS_KEY = "texts"

# A sentence to write: called once per language, inside translation.override, so that its
# gettext calls (and the labels it names) come out in that language.
Sentence = Callable[[], str]


def in_every_language(sentence: Sentence) -> dict[str, str]:
    """Write `sentence` in each language of settings.LANGUAGES: {code: text}."""
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = str(sentence())
    return texts


def entry_fields(sentence: Sentence, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """The `text` and `data` of a TimelineEntry holding a sentence Segnala writes."""
    texts = in_every_language(sentence)
    site_text = texts.get(settings.LANGUAGE_CODE) or next(iter(texts.values()), "")
    return {"text": site_text, "data": {**(data or {}), TEXTS_KEY: texts}}


def text_in(text: str, data: dict[str, Any] | None, language: str | None = None) -> str:
    """An entry's words in `language` (default: the active one), else as stored in `text`."""
    texts = (data or {}).get(TEXTS_KEY)
    if not isinstance(texts, dict):
        return text
    code = (language or translation.get_language() or settings.LANGUAGE_CODE)[:2]
    found = texts.get(code)
    return found if isinstance(found, str) else text
