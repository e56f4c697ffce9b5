"""docs/extract.md, the extract's code book, is what the import accepts (issue 27, point 4):
generated from the file declarations, and this test fails when the two disagree."""

from __future__ import annotations

import re
from pathlib import Path

from imports.codebook import markdown, specs
from imports.columns import Choice

DOC = Path(__file__).resolve().parents[2] / "docs" / "extract.md"


def test_the_code_book_in_docs_is_the_one_the_import_checks():
    assert DOC.read_text(encoding="utf-8") == markdown(), (
        "docs/extract.md is out of date: regenerate it with imports.codebook.markdown() (see its docstring)"
    )


def test_every_coded_column_is_listed_with_every_code_and_its_words():
    book = markdown()
    for spec in specs():
        for column in spec.columns:
            if isinstance(column.parser, Choice):
                assert f"## `{spec.name}`" in book and f"**`{column.name}`**" in book
                for code in column.parser.values:
                    assert f"| `{code}` |" in book
    assert "| `female` | Female | 女 |" in book
    assert "| `wealth_product` | Wealth management product | 理财产品 |" in book
    # Every code has its meaning in both languages (no empty cells after a code).
    assert not re.search(r"^\| `[^`]+` \|\s*\|", book, flags=re.MULTILINE)
