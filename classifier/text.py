"""Text normalisation shared by training, prediction and place resolution.

Every path into the models goes through :func:`feature_text`, so a training CSV
that was pre-segmented (space separated) and a raw call transcript end up in the
same shape: NFKC-folded, lower-cased, personal numbers masked, no spaces or
punctuation.
"""

from __future__ import annotations

import re
import unicodedata

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


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), xlsx line-break escapes removed, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = _XLSX_CR.sub(" ", text)
    return _WHITESPACE.sub(" ", text).strip()


def mask_personal_numbers(text: str) -> str:
    """Replace ID-card numbers and phone numbers by placeholder tokens.

    Run after :func:`normalize` so full-width digits have become ASCII digits.
    """
    text = _ID_NUMBER.sub(ID_TOKEN, text)
    text = _MOBILE.sub(PHONE_TOKEN, text)
    return _LANDLINE.sub(PHONE_TOKEN, text)


def clean(text: str) -> str:
    """Normalise and mask: the form to store, show or resolve places in."""
    return mask_personal_numbers(normalize(text))


def feature_text(text: str) -> str:
    """The form the classifier sees: :func:`clean`, lower-cased, spaces and punctuation dropped.

    Dropping spaces makes pre-segmented training text look like raw text; dropping
    punctuation removes what segmented corpora usually have already stripped.
    """
    return _NON_WORD.sub("", clean(text).lower())
