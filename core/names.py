"""How a person's name is shown: Chinese names surname first with no space (张鑫旭), western
names as their owner writes them (Anna Smith).

Names are stored whole wherever the brokerage's own systems give them whole (clients, advisors,
the extract's ``advisors.csv`` → ``User.first_name``). Django's ``User`` still has two fields that
operations staff fill in the admin, and its ``get_full_name`` joins them given-name first with a
space — "鑫旭 张" for a Chinese user. Every page, export and admin list shows a user through
:func:`user_name` instead.
"""

from __future__ import annotations

import re

# CJK ideographs (unified, extension A, compatibility) and the middle dot of transliterated names
# (阿卜杜·热合曼): a name with any of these is written the Chinese way.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAS_CJK = re.compile(f"[{_CJK}]")
# A space between two ideographs ("张 鑫旭", as some forms and spreadsheets type them) is not
# part of a Chinese name.
_SPACE_BETWEEN_CJK = re.compile(f"(?<=[{_CJK}·])\\s+(?=[{_CJK}·])")


def is_chinese(text: str | None) -> bool:
    """Whether ``text`` holds a Chinese character."""
    return bool(text) and _HAS_CJK.search(text) is not None


def display_name(name: str | None) -> str:
    """A name stored whole, as shown: spaces between Chinese characters dropped ("张 鑫旭" →
    "张鑫旭"), anything else kept as written, outer blanks trimmed."""
    if not name:
        return ""
    name = " ".join(name.split())
    return _SPACE_BETWEEN_CJK.sub("", name) if is_chinese(name) else name


def person_name(family: str | None, given: str | None) -> str:
    """A name kept in two parts, in the order its language writes it: Chinese surname first
    with no space (``person_name("张", "鑫旭")`` → "张鑫旭"), western given name first
    (``person_name("Smith", "Anna")`` → "Anna Smith"). Either part may be empty."""
    family, given = display_name(family), display_name(given)
    if not family or not given:
        return family or given
    if is_chinese(family) or is_chinese(given):
        return family + given
    return f"{given} {family}"


def user_name(user) -> str:
    """A user as shown to people: their name in its language's order, else their username."""
    if user is None:
        return ""
    return person_name(getattr(user, "last_name", ""), getattr(user, "first_name", "")) or user.get_username()
