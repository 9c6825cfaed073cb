"""Whether a page is written in English, the only language the model reads.

A German or Spanish services page runs through the model without complaint and comes out as
"offers none of the four": a confident wrong answer. So the text is checked first. Most
pages are settled by a cheap count: English prose is a third or more English function words
("the", "and", "our"), and a page with a fifth of them is English. Only the rest (a bare
list of service names, or another language) goes to lingua, a language detector, which
builds its models (a few tens of MB) the first time a process needs them.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

# Fewer words than this say too little to tell a language by: a card title or two.
MIN_WORDS = 40
# A text this rich in English function words is English without asking the detector.
ENGLISH_WORD_SHARE = 0.2
# The detector must give English less than this confidence for a text to count as foreign.
ENGLISH_CONFIDENCE_FLOOR = 0.01
# The opening of a page is enough to tell its language.
SAMPLE_CHARS = 20_000
# The question is only "English or not", so the detector knows English and the languages
# vendors and their buyers most often write in, one or more per script; a text in another
# language still reads as one of these, and so as not English. Each language costs memory.
LANGUAGES = (
    Language.ENGLISH, Language.SPANISH, Language.PORTUGUESE, Language.FRENCH, Language.GERMAN,
    Language.ITALIAN, Language.DUTCH, Language.POLISH, Language.ROMANIAN, Language.TURKISH,
    Language.RUSSIAN, Language.UKRAINIAN, Language.GREEK, Language.ARABIC, Language.HEBREW,
    Language.PERSIAN, Language.HINDI, Language.BENGALI, Language.CHINESE, Language.JAPANESE,
    Language.KOREAN, Language.THAI, Language.VIETNAMESE, Language.INDONESIAN, Language.TAGALOG,
    Language.LATIN,
)
# Nobody sells services in Latin: Latin is the "lorem ipsum" a site template ships with, left
# around the vendor's own words.
PLACEHOLDER_LANGUAGES = frozenset({Language.LATIN})

_WORD = re.compile(r"[^\W\d_]+")


def foreign_language(text: str) -> str | None:
    """The name of the language a text is written in ("German") when it is surely not English, else None."""
    sample = text[:SAMPLE_CHARS]
    words = _WORD.findall(sample.lower())
    if len(words) < MIN_WORDS:
        return None
    if sum(word in ENGLISH_STOP_WORDS for word in words) >= ENGLISH_WORD_SHARE * len(words):
        return None
    detector = _detector()
    if detector.compute_language_confidence(sample, Language.ENGLISH) >= ENGLISH_CONFIDENCE_FLOOR:
        return None
    language = detector.detect_language_of(sample)
    if language is None or language in PLACEHOLDER_LANGUAGES:
        return None
    return language.name.title()


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    return LanguageDetectorBuilder.from_languages(*LANGUAGES).with_low_accuracy_mode().build()
