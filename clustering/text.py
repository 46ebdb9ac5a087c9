"""Compare two citizens' descriptions of a problem: normalisation and similarity, no database.

Descriptions are short (a sentence or two), in Italian or English, and two reports of the same
pothole rarely share more than a street name, a house number, a landmark or a detail ("grande",
"auto bianca"). So similarity is evidence to weigh, never a rule on its own.
"""

import re
import unicodedata
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz

TextMethod = Literal["jaccard", "token_set", "token_sort"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words only: a category's own vocabulary ("buca", "pothole") stays, since it is what
# the same report in two languages or two wordings shares with another.
STOP_WORDS_IT = _words(
    """
    a ad al alla alle allo ai agli all anche ancora che chi ci c col con contro cui da dal dalla
    dalle dallo dai dagli dall de del della delle dello dei degli dell di dove e ed è era erano
    essere gli ha hanno ho i il in io la le lei li lo loro lui ma mi mia mie mio miei molto ne
    nei negli nel nella nelle nello nell noi non nostro o ogni per perché più poi qua quale
    quando quanto quel quella quelle quello quelli quei questa queste questo questi qui se sei
    si sia siamo sono sta stato stata su sua sue suo suoi sul sulla sulle sullo sui sugli sull
    tra fra tu tutto tutti tutta tutte un una uno vi voi già ce
    """
)
STOP_WORDS_EN = _words(
    """
    a about after all also am an and any are as at be been before being but by can could did do
    does for from had has have he her here his how i if in into is it its just me more my near
    no not now of on one or our out over she so some still than that the their them then there
    these they this those to too under up very was we were what when where which while who will
    with would you your
    """
)
STOP_WORDS = STOP_WORDS_IT | STOP_WORDS_EN

_NON_WORD = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=131_072)
def normalise(text: str) -> str:
    """Return the description lowercased, without accents, punctuation or stop words.

    Tokens are kept in order, separated by one space; digits stay (house numbers matter).
    """
    decomposed = unicodedata.normalize("NFKD", text.lower())
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = _NON_WORD.split(ascii_only)
    return " ".join(w for w in words if w and w not in STOP_WORDS)


@lru_cache(maxsize=131_072)
def tokens(text: str) -> frozenset[str]:
    """Return the set of normalised words of a description."""
    normalised = normalise(text)
    return frozenset(normalised.split()) if normalised else frozenset()


def similarity(a: str, b: str, method: TextMethod = "jaccard") -> float | None:
    """Return how alike two descriptions are, from 0 to 1, or None if either says nothing.

    "jaccard" is shared words over all words; "token_set" and "token_sort" are rapidfuzz's
    fuzzy ratios on the normalised text (token_set gives 1 when one text's words are a subset
    of the other's, so a bare "buca" matches every pothole description).
    """
    if method == "jaccard":
        ta, tb = tokens(a), tokens(b)
        if not ta or not tb:
            return None
        return len(ta & tb) / len(ta | tb)
    na, nb = normalise(a), normalise(b)
    if not na or not nb:
        return None
    if method == "token_set":
        return fuzz.token_set_ratio(na, nb) / 100.0
    return fuzz.token_sort_ratio(na, nb) / 100.0


def best_similarity(
    text: str, others: tuple[str, ...], method: TextMethod = "jaccard"
) -> float | None:
    """Return the highest similarity of text to any of others, or None if none is comparable."""
    best: float | None = None
    for other in others:
        value = similarity(text, other, method)
        if value is not None and (best is None or value > best):
            best = value
    return best
