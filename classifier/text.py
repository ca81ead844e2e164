"""Text normalisation shared by training, prediction and place resolution.

Every path into the models goes through :func:`feature_text`, so a training CSV
that was pre-segmented (space separated) and a raw call transcript end up in the
same shape: NFKC-folded, lower-cased, personal numbers masked, no spaces or
punctuation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

PHONE_TOKEN = "<PHONE>"
ID_TOKEN = "<IDNO>"
# what a segmenter makes of the tokens above, between the angle brackets
PLACEHOLDER_WORDS = frozenset({"PHONE", "IDNO"})

# openpyxl writes a carriage return inside an xlsx cell as this escape; exports from
# the hotline's spreadsheets are full of it.
_XLSX_CR = re.compile(r"_x000[dD]_")
_WHITESPACE = re.compile(r"\s+")

_ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
    # already partly masked by the caller or an upstream system: 430102********1234
    r"|(?<![0-9A-Za-z])\d{6}\*{6,8}\d{3}[\dXx*](?![0-9A-Za-z])"
)
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}[- ]?\d{4}|\*{4}\d{4})(?!\d)")
# A landline needs its area code (0xx / 0xxx) or a telephone word before it; a bare
# 7-8 digit number is more often an amount, a date or a case number.
_LANDLINE = re.compile(
    r"(?<!\d)(?:\(0\d{2,3}\)|0\d{2,3}-?)\d{7,8}(?!\d)"
    r"|(?<=电话|座机|固话)(?:[:：]?\s*)\d{7,8}(?!\d)"
)
_NON_WORD = re.compile(r"[\W_]+")
# Full-width digits and the signs numbers are written with, one character for one, so numbers are found in
# text as a person typed it and its positions stay those of the original.
_FULL_WIDTH_NUMBERS = str.maketrans("０１２３４５６７８９＋－（）＊Ｘｘ：　", "0123456789+-()*Xx: ")
# Stands in for a number already found, so the next pattern neither matches it nor sees a digit beside it.
_FOUND = "#"

# What a number found in the text becomes: a fixed token, or a function of the number as found (ASCII digits).
Replacement = str | Callable[[str], str]


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), xlsx line-break escapes removed, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = _XLSX_CR.sub(" ", text)
    return _WHITESPACE.sub(" ", text).strip()


def find_personal_numbers(text: str) -> list[tuple[str, int, int]]:
    """(kind, start, end) of every ID-card number ("id") and phone number ("phone") in `text`, in order.

    Full-width digits count (they are folded, one for one, before matching). ID numbers are found first, so
    a phone pattern cannot bite into one.
    """
    folded = text.translate(_FULL_WIDTH_NUMBERS)
    found: list[tuple[str, int, int]] = []
    for kind, pattern in (("id", _ID_NUMBER), ("phone", _MOBILE), ("phone", _LANDLINE)):
        spans = [m.span() for m in pattern.finditer(folded)]
        for start, end in spans:
            folded = folded[:start] + _FOUND * (end - start) + folded[end:]
        found += [(kind, start, end) for start, end in spans]
    return sorted(found, key=lambda f: f[1])


def mask_personal_numbers(text: str, phone: Replacement = PHONE_TOKEN, id_number: Replacement = ID_TOKEN) -> str:
    """Replace ID-card numbers and phone numbers by placeholder tokens, or by what `phone` and `id_number` make
    of each number (the pages show a partly hidden number instead); everything else stays as it was."""
    parts, last = [], 0
    for kind, start, end in find_personal_numbers(text):
        replacement = id_number if kind == "id" else phone
        number = text[start:end].translate(_FULL_WIDTH_NUMBERS)
        parts += [text[last:start], replacement if isinstance(replacement, str) else replacement(number)]
        last = end
    return "".join([*parts, text[last:]])


def clean(text: str) -> str:
    """Normalise and mask: the form to store, show or resolve places in."""
    return mask_personal_numbers(normalize(text))


def feature_text(text: str) -> str:
    """The form the classifier sees: :func:`clean`, lower-cased, spaces and punctuation dropped.

    Dropping spaces makes pre-segmented training text look like raw text; dropping
    punctuation removes what segmented corpora usually have already stripped.
    """
    return _NON_WORD.sub("", clean(text).lower())
