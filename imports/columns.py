"""Typed column parsers: a raw string in, a Python value out, or ``Invalid(reason)``.

Parsers work column by column (``parse_column``) and remember the values they have already
seen, so a date or a risk level that repeats on 50,000 rows is parsed once. Reasons are written
for the operations person who has to fix the file; values that are personal data are never
echoed back into a reason.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext

from imports.errors import Invalid

EMPTY_REQUIRED = "empty (a value is required)"


@dataclass(frozen=True)
class Parser:
    """Base: blank values are ``blank`` when optional, an error when ``required``."""

    required: bool = True
    noun: str = ""  # how a reason names the value ("risk level"); defaults to the column name
    blank: Any = None

    def __call__(self, raw: str) -> Any:
        if raw == "":
            if self.required:
                raise Invalid(EMPTY_REQUIRED)
            return self.blank
        return self.parse(raw)

    def parse(self, raw: str) -> Any:
        return raw


@dataclass(frozen=True)
class Text(Parser):
    max_length: int = 200
    blank: Any = ""

    def parse(self, raw: str) -> str:
        if len(raw) > self.max_length:
            raise Invalid(f"longer than {self.max_length} characters")
        return raw


_BLANK = re.compile(r"\s")


@dataclass(frozen=True)
class Code(Text):
    """An identifier such as a client number: no blanks inside."""

    max_length: int = 32

    def parse(self, raw: str) -> str:
        if _BLANK.search(raw):
            raise Invalid(f"{raw!r} contains blanks")
        return super().parse(raw)


_USERNAME = re.compile(r"^[\w.@+-]+\Z")


@dataclass(frozen=True)
class Username(Text):
    max_length: int = 150

    def parse(self, raw: str) -> str:
        if not _USERNAME.match(raw):
            raise Invalid(f"{raw!r} is not a valid username (letters, digits and @ . + - _ only)")
        return super().parse(raw)


def _expected(values: Sequence[str]) -> str:
    """``R1–R5`` for a numbered series, else ``a, b, c``."""
    match = [re.fullmatch(r"([A-Za-z]+)(\d+)", value) for value in values]
    if len(values) > 2 and all(match):
        prefixes = {m.group(1) for m in match}
        numbers = [int(m.group(2)) for m in match]
        if len(prefixes) == 1 and numbers == list(range(numbers[0], numbers[0] + len(numbers))):
            return f"{values[0]}–{values[-1]}"
    return ", ".join(values)


def fold_code(code: str) -> str:
    """How a code is compared: case and surrounding blanks do not count (``' M'`` = ``'m'``).
    The trading files' staging applies the same in SQL, ``lower(btrim(…))``
    (``trading._sql_value``)."""
    return code.strip().lower()


@dataclass(frozen=True)
class Choice(Parser):
    """One of a fixed set of codes (case-insensitive): ``Choice(ProductRisk)``.

    ``aliases`` are the operations' code map for this file's column (``imports.code_maps``):
    a counter system's code (folded, ``fold_code``) → ours. Our own codes always win; an
    import gets its own copy of the specs with the aliases filled in (``code_maps.with_code_maps``)."""

    choices: Any = ()
    aliases: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def values(self) -> tuple[str, ...]:
        choices = self.choices
        return tuple(choices.values) if hasattr(choices, "values") else tuple(choices)

    def parse(self, raw: str) -> str:
        values = self.values
        if raw in values:
            return raw
        key = fold_code(raw)
        folded = {value.lower(): value for value in values}
        if key in folded:
            return folded[key]
        if key in self.aliases:
            return self.aliases[key]
        raise Invalid(unknown_code(self.noun, raw, values))


def unknown_code(noun: str, raw: str, values: Sequence[str]) -> str:
    """The reason for a code that is neither ours nor mapped, in the language active while the
    import runs (the reader's: the command's, or the uploading user's)."""
    return gettext(
        "unknown %(noun)s %(code)s (expected %(expected)s); to accept it, map it under Daily extract → Code maps"
    ) % {"noun": noun, "code": repr(raw), "expected": _expected(values)}


@dataclass(frozen=True)
class ChoiceList(Choice):
    """Several codes separated by ``;`` (blank = none); duplicates dropped, order kept."""

    separator: str = ";"
    required: bool = False
    blank: Any = ()

    def parse(self, raw: str) -> list[str]:
        item = Choice(choices=self.choices, noun=self.noun, aliases=self.aliases)
        found: list[str] = []
        for part in raw.split(self.separator):
            part = part.strip()
            if part:
                value = item(part)
                if value not in found:
                    found.append(value)
        return found

    def __call__(self, raw: str) -> Any:
        value = super().__call__(raw)
        return list(value) if isinstance(value, tuple) else value


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Date(Parser):
    """An ISO date, ``YYYY-MM-DD``; ``past=True`` refuses a date after today."""

    required: bool = False
    past: bool = False

    def parse(self, raw: str) -> datetime.date:
        if not _ISO_DATE.match(raw):
            raise Invalid(f"not a date (expected YYYY-MM-DD): {raw!r}")
        try:
            value = datetime.date.fromisoformat(raw)
        except ValueError:
            raise Invalid(f"not a date (no such day): {raw!r}")
        if self.past and value > timezone.localdate():
            raise Invalid(f"{raw} is in the future")
        return value


_AMOUNT = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass(frozen=True)
class Money(Parser):
    """An amount in yuan with at most 2 decimals, no thousands separators."""

    required: bool = False
    negative: bool = False
    max_digits: int = 18

    def parse(self, raw: str) -> Decimal:
        if not _AMOUNT.match(raw):
            raise Invalid(f"not an amount in yuan (expected digits with up to 2 decimals, e.g. 1234.50): {raw!r}")
        whole, _, decimals = raw.lstrip("-").partition(".")
        if len(decimals) > 2:
            raise Invalid(f"more than 2 decimal places: {raw!r}")
        if len(whole.lstrip("0")) > self.max_digits - 2:
            raise Invalid(f"too large: {raw!r}")
        try:
            value = Decimal(raw)
        except InvalidOperation:  # pragma: no cover - the pattern above admits only valid numbers
            raise Invalid(f"not an amount in yuan: {raw!r}")
        if value < 0 and not self.negative:
            raise Invalid(f"negative amount: {raw!r}")
        return value


@dataclass(frozen=True)
class Number(Parser):
    """A quantity or a price: digits with at most ``places`` decimals, no thousands separators."""

    places: int = 4
    max_digits: int = 20
    negative: bool = False

    def parse(self, raw: str) -> Decimal:
        if not _AMOUNT.match(raw):
            raise Invalid(f"not a number (expected digits with up to {self.places} decimals, e.g. 100.5): {raw!r}")
        whole, _, decimals = raw.lstrip("-").partition(".")
        if len(decimals) > self.places:
            raise Invalid(f"more than {self.places} decimal places: {raw!r}")
        if len(whole.lstrip("0")) > self.max_digits - self.places:
            raise Invalid(f"too large: {raw!r}")
        value = Decimal(raw)
        if value < 0 and not self.negative:
            raise Invalid(f"negative {self.noun}: {raw!r}")
        return value


@dataclass(frozen=True)
class Integer(Parser):
    minimum: int = -32768
    maximum: int = 32767

    def parse(self, raw: str) -> int:
        if not re.fullmatch(r"-?\d+", raw):
            raise Invalid(f"not a whole number: {raw!r}")
        value = int(raw)
        if not self.minimum <= value <= self.maximum:
            raise Invalid(f"{value} is out of range ({self.minimum} to {self.maximum})")
        return value


@dataclass(frozen=True)
class Flag(Parser):
    """``0`` or ``1``; blank counts as 0."""

    required: bool = False
    blank: Any = False

    def parse(self, raw: str) -> bool:
        if raw in ("0", "1"):
            return raw == "1"
        raise Invalid(f"expected 0 or 1, got {raw!r}")


@dataclass(frozen=True)
class Email(Parser):
    required: bool = False
    blank: Any = ""
    max_length: int = 254

    def parse(self, raw: str) -> str:
        if len(raw) > self.max_length:
            raise Invalid(f"longer than {self.max_length} characters")
        try:
            validate_email(raw)
        except ValidationError:
            raise Invalid("not an email address")
        return raw


_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^\d+(-\d+)*$")


@dataclass(frozen=True)
class Phone(Parser):
    """A mainland mobile number (``1[3-9]`` + 9 digits) or a landline of digits and dashes
    (``010-12345678``, ``0755-1234567-801``). Never echoed: it is personal data."""

    required: bool = False
    blank: Any = ""

    def parse(self, raw: str) -> str:
        if len(raw) > 32:
            raise Invalid("not a phone number (longer than 32 characters)")
        if _MOBILE.match(raw):
            return raw
        digits = raw.replace("-", "")
        if _LANDLINE.match(raw) and not raw.startswith("1") and 7 <= len(digits) <= 16:
            return raw
        raise Invalid("not a phone number (expected a mobile like 13812345678 or a landline like 010-12345678)")


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def resident_id_problem(value: str) -> str | None:
    """Why ``value`` is not a mainland resident ID number (18 characters, ISO 7064 mod 11-2
    check digit), or None. Says nothing about the value itself: it is personal data."""
    if not re.fullmatch(r"\d{17}[\dX]", value):
        return "not a resident ID number (expected 18 characters: 17 digits, then a digit or X)"
    total = sum(int(digit) * weight for digit, weight in zip(value[:17], _ID_WEIGHTS, strict=True))
    if _ID_CHECK[total % 11] != value[17]:
        return "resident ID number has a wrong check digit (mistyped?)"
    return None


@dataclass(frozen=True)
class Column:
    """A column of a file kind: its header name and its parser.

    ``optional`` columns may be missing from the header; every value then counts as blank for
    the checks, and the loader leaves the stored field alone on update and uses the model's
    default on create (``ParsedFile.has``).
    """

    name: str
    parser: Parser
    optional: bool = False

    def __post_init__(self):
        if not self.parser.noun:
            object.__setattr__(self, "parser", replace(self.parser, noun=self.name.replace("_", " ")))


def parse_column(parser: Parser, raws: Iterable[str]) -> tuple[list[Any], dict[int, str]]:
    """Parse a whole column; ``(values, {row index: reason})``, a failed value is None."""
    values: list[Any] = []
    problems: dict[int, str] = {}
    seen: dict[str, tuple[bool, Any]] = {}
    for index, raw in enumerate(raws):
        outcome = seen.get(raw)
        if outcome is None:
            try:
                outcome = (True, parser(raw))
            except Invalid as exc:
                outcome = (False, exc.reason)
            seen[raw] = outcome
        ok, value = outcome
        if ok:
            values.append(value)
        else:
            values.append(None)
            problems[index] = value
    return values, problems
