"""Normalisation before features: full-width to half-width, whitespace, and personal numbers masked."""

from __future__ import annotations

import re
import unicodedata

_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")
_ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
_SPACE = re.compile(r"\s+")

PHONE_TOKEN = "〈电话〉"
ID_TOKEN = "〈证件号〉"


def normalize(text: str) -> str:
    """NFKC (full-width letters, digits and punctuation become half-width), ID and phone numbers
    replaced by placeholder tokens (they identify people, never a category), whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text)
    text = _ID_NUMBER.sub(ID_TOKEN, text)
    text = _MOBILE.sub(PHONE_TOKEN, text)
    text = _LANDLINE.sub(PHONE_TOKEN, text)
    return _SPACE.sub(" ", text).strip()
