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
from imports.columns import Choice, ChoiceList
from imports.spec import FileSpec

HEADER = """# The daily extract's codes

Every coded column of the daily extract (README, *The daily extract*) and the codes it accepts.
Codes are matched case-insensitively; anything else rejects the whole folder with
`file:line: column: unknown <column> '<code>' (expected …)`. The meaning is given in English
and Chinese as the pages show it. This page is generated from the import's own declarations
(`imports/codebook.py`); a test fails when it and the code disagree.

"""


# The role codes are group names (core.roles), which carry no labels of their own.
ROLE_LABELS = {
    "advisor": _("Advisor"),
    "team_lead": _("Team lead"),
    "branch_manager": _("Branch manager"),
    "compliance": _("Compliance officer"),
    "ops": _("Operations"),
}


def specs() -> list[FileSpec]:
    """The extract's file kinds, in the order of the modules' declarations."""
    found = []
    for module in (masterdata, trading):
        found += [value for value in vars(module).values() if isinstance(value, FileSpec)]
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


def markdown() -> str:
    lines = [HEADER]
    for spec in specs():
        coded = [column for column in spec.columns if isinstance(column.parser, Choice)]
        if not coded:
            continue
        lines.append(f"## `{spec.name}`\n")
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
    return "\n".join(lines).rstrip() + "\n"
