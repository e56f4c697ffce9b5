"""The extract's code book: every coded column of every file and the codes it accepts, read
from the file declarations themselves (``imports.masterdata``, ``imports.trading``), so the
document people write their extract from (docs/extract.md) cannot drift from what the import
checks — ``tests/imports/test_codebook.py`` fails when it does.

    python manage.py shell --no-imports -c "from imports.codebook import markdown; print(markdown(), end='')" \
        > docs/extract.md
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from imports import masterdata, trading
from imports.columns import Choice, ChoiceList, Code, Date, Email, Flag, Integer, Money, Number, Phone, Text, Username
from imports.spec import FileSpec

HEADER = """# The daily extract's codes

Every file of the daily extract (README, *The daily extract*) with its columns, the codes each
coded column accepts, and the columns a file may leave out. An extract is a folder `YYYY-MM-DD/`
of CSV files with a header row, UTF-8 (with or without BOM) or GB18030; every file is optional,
columns may come in any order and unknown ones are ignored; dates are `YYYY-MM-DD`, amounts are
in yuan with up to 2 decimals and no thousands separators. The meaning is given in English and Chinese as the pages
show it. This page is generated from the import's own declarations (`imports/codebook.py`) and
the shipped code map (`imports/code_maps.py`); a test fails when it and the code disagree.

## Codes, and mapping your own

Our codes are matched ignoring case and surrounding blanks. A counter system that exports its
own codes — GB/T 2261.1 sex codes `1`/`2`, `男`/`女`, `M`/`F`, `理财` for a wealth management
product — needs no conversion: map them in the admin under **Daily extract → Code maps**
(日终数据 → 码表), one row per file, column and code, to one of the column's codes below. A
mapping belongs to one file's column: `status` in `clients.csv` and in `accounts.csv` are two
columns, each with its own mappings. The import reads the active mappings when it starts; a new
or changed one applies from the next import. Our own codes cannot be mapped to something else.

The product ships with the mappings listed under each column (*shipped mappings*); operations
may change or switch off each one. A word that could mean several of our codes (`基金`: money,
bond, equity, mixed or QDII fund?) is not shipped: map it as your system means it.

A code that is neither ours nor mapped rejects the whole folder with
`file:line: column: unknown <column> '<code>' (expected …); to accept it, map it under Daily
extract → Code maps`, in the language of whoever runs the import.

## Columns that may be left out

A file's header must carry every column of the file except the optional ones below. When a file
leaves an optional column out, updated rows keep what is stored for it and new rows get the
default shown; when the column is there, an empty value means that default.
"""
# The role codes are group names (core.roles), which carry no labels of their own.
ROLE_LABELS = {
    "advisor": _("Advisor"),
    "team_lead": _("Team lead"),
    "branch_manager": _("Branch manager"),
    "compliance": _("Compliance officer"),
    "ops": _("Operations"),
}


def specs() -> list[FileSpec | trading.TradingSpec]:
    """The extract's file kinds, in the order of the modules' declarations."""
    found = []
    for module in (masterdata, trading):
        found += [value for value in vars(module).values() if isinstance(value, FileSpec | trading.TradingSpec)]
    return found


def _labels(choices) -> dict[str, tuple[str, str]]:
    """``code → (English, Chinese)`` for a TextChoices class; plain code lists have no labels."""
    pairs = choices.choices if hasattr(choices, "choices") else [(code, ROLE_LABELS.get(code)) for code in choices]
    labels = {}
    for code, label in pairs:
        if label is None:
            continue
        with translation.override("en"):
            english = str(label)
        with translation.override("zh-hans"):
            chinese = str(label)
        labels[code] = (english, chinese)
    return labels


def code_labels(choices) -> dict[str, str]:
    """``code → label`` in the active language (the admin's code map shows them)."""
    pairs = choices.choices if hasattr(choices, "choices") else [(code, ROLE_LABELS.get(code)) for code in choices]
    return {code: str(label) for code, label in pairs if label is not None}


def _default(parser) -> str:
    """What an empty value (or a left-out optional column) stands for, as the page says it."""
    blank = parser.blank
    if blank in (None, "", ()):
        return "empty"
    if isinstance(blank, bool):
        return f"`{int(blank)}`"
    return f"`{blank}`"


_KINDS = (  # most specific first: ChoiceList is a Choice, Code and Username are Text
    (ChoiceList, "codes"),
    (Choice, "code"),
    (Code, "identifier"),
    (Username, "username"),
    (Text, "text"),
    (Date, "date"),
    (Money, "amount"),
    (Number, "number"),
    (Integer, "whole number"),
    (Flag, "`0`/`1`"),
    (Email, "email"),
    (Phone, "phone"),
)


def _described(column) -> str:
    """``name`` (kind, may be empty, optional) for a file's column list."""
    parser = column.parser
    kind = next((word for cls, word in _KINDS if isinstance(parser, cls)), "")
    notes = [kind] if kind else []
    if not parser.required:
        notes.append("may be empty")
    if column.optional:
        notes.append("optional")
    return f"`{column.name}` ({', '.join(notes)})"


def markdown() -> str:
    from imports.code_maps import DEFAULTS

    lines = [HEADER]
    lines.append("| file | optional columns (default) |\n|---|---|")
    for spec in specs():
        optional = [f"`{column.name}` ({_default(column.parser)})" for column in spec.columns if column.optional]
        if optional:
            lines.append(f"| `{spec.name}` | {', '.join(optional)} |")
    lines.append("")
    for spec in specs():
        coded = [column for column in spec.columns if isinstance(column.parser, Choice)]
        lines.append(f"## `{spec.name}`\n")
        key = " + ".join(f"`{name}`" for name in spec.key)
        lines.append(f"Key {key}. Columns: " + ", ".join(_described(column) for column in spec.columns) + ".\n")
        for column in coded:
            parser = column.parser
            notes = []
            if isinstance(parser, ChoiceList):
                notes.append(f"several codes separated by `{parser.separator}`")
            if not parser.required:
                blank = parser.blank if not isinstance(parser, ChoiceList) else ""
                notes.append(f"may be empty (= `{blank}`)" if blank else "may be empty")
            if column.optional:
                notes.append("the column may be left out")
            lines.append(f"**`{column.name}`**" + (f" — {'; '.join(notes)}" if notes else "") + "\n")
            labels = _labels(parser.choices)
            lines.append("| code | meaning | 含义 |\n|---|---|---|")
            for code in parser.values:
                english, chinese = labels.get(code, ("", ""))
                lines.append(f"| `{code}` | {english} | {chinese} |")
            lines.append("")
            shipped = DEFAULTS.get((spec.name, column.name))
            if shipped:
                pairs = ", ".join(f"`{theirs}` → `{ours}`" for theirs, ours in shipped.items())
                lines.append(f"Shipped mappings: {pairs}.\n")
    return "\n".join(lines).rstrip() + "\n"
