"""The code map (码表): a counter system's codes for a coded column of the extract, mapped to ours.

A brokerage's counter system exports its own codes — GB/T 2261.1 sex codes ``1``/``2``, ``男``/``女``,
``M``/``F``, ``理财`` for a wealth management product — where the extract wants ours (``male``,
``wealth_product``). Operations keep one row per (file, column, their code) → our code in the admin
(Daily extract → Code maps); the import applies the active rows while it parses (``with_code_maps``).

A mapping belongs to a file *and* a column, not to a column name across files: the same name
means different things in different files — ``status`` is a client's status in clients.csv, an
account's in accounts.csv and a product's in products.csv; ``risk_level`` is a product's R1–R5 in
products.csv and an investor's C1–C5 in assessments.csv. A counter system's ``1`` may well be
``R1`` in one and ``C1`` in the other.

Their code is compared as the import compares ours: ignoring case and surrounding blanks
(``columns.fold_code``). Our own codes always win, so a row may not map one of them; the target
must be one of the column's codes. The shipped defaults (``DEFAULTS``, loaded by migration
0002) are ordinary rows: operations may change or switch off each one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from functools import cache

from auditlog.registry import auditlog
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from imports.columns import Choice, Column, fold_code


@cache
def coded_columns() -> dict[tuple[str, str], Choice]:
    """Every coded column of the extract: ``(file, column) → its parser``, in the files' order.
    Read from the file declarations lazily: they import the models of half the project."""
    from imports.codebook import specs

    return {
        (spec.name, column.name): column.parser
        for spec in specs()
        for column in spec.columns
        if isinstance(column.parser, Choice)
    }


# The model each file of the extract loads: its name names the file for people, and its
# fields name the columns ("客户 · 性别", "Clients · Gender"), in the reader's language.
FILE_MODELS = {
    "org_units.csv": "advisors.OrgUnit",
    "advisors.csv": "advisors.Advisor",
    "products.csv": "products.Product",
    "clients.csv": "clients.Client",
    "accounts.csv": "clients.Account",
    "positions.csv": "clients.Position",
    "balances.csv": "clients.CashBalance",
    "transactions.csv": "clients.Transaction",
    "cashflows.csv": "clients.CashFlow",
    "assessments.csv": "suitability.RiskAssessment",
}
# Columns that are no field of their file's model.
COLUMN_LABELS = {("advisors.csv", "role"): _("role")}


def _model(file: str):
    try:
        return apps.get_model(FILE_MODELS[file])
    except (KeyError, LookupError):
        return None


def file_label(file: str) -> str:
    """A file of the extract by what it holds ("客户"); an unknown file by its name."""
    model = _model(file)
    return capfirst(model._meta.verbose_name_plural) if model is not None else file


def column_label(file: str, column: str) -> str:
    """A column by its file's and its field's names in the reader's language ("客户 · 性别")."""
    label = COLUMN_LABELS.get((file, column))
    model = _model(file)
    if label is None and model is not None:
        try:
            label = model._meta.get_field(column).verbose_name
        except FieldDoesNotExist:
            label = None
    return f"{file_label(file)} · {capfirst(label) if label is not None else column}"


def code_label(file: str, column: str, code: str) -> str:
    """One of our codes of a column with its meaning in the reader's language ("male — 男")."""
    parser = coded_columns().get((file, column))
    choices = getattr(parser.choices, "choices", None) if parser is not None else None
    label = dict(choices).get(code) if choices else None
    return f"{code} — {label}" if label is not None else code


# The shipped defaults: (file, column) → {their code: our code}. Only codes whose meaning is
# unambiguous: GB/T 2261.1 sex codes (0 not known, 1 male, 2 female, 9 not stated) and their
# letters and words; the CSRC suitability rules' names of the five product risk levels and the
# five investor categories; the usual Chinese words for statuses, sides, channels. A word that
# could mean several of our codes is left to operations (基金 — a money, bond, equity, mixed or
# QDII fund?).
DEFAULTS: dict[tuple[str, str], dict[str, str]] = {
    ("org_units.csv", "kind"): {"总部": "headquarters", "分公司": "branch_company", "营业部": "branch", "团队": "team"},
    ("products.csv", "product_type"): {
        "股票": "stock",
        "货币基金": "money_fund",
        "货币型基金": "money_fund",
        "债券基金": "bond_fund",
        "债券型基金": "bond_fund",
        "股票基金": "equity_fund",
        "股票型基金": "equity_fund",
        "混合基金": "mixed_fund",
        "混合型基金": "mixed_fund",
        "QDII基金": "qdii_fund",
        "债券": "bond",
        "理财": "wealth_product",
        "理财产品": "wealth_product",
        "wealth": "wealth_product",
        "资管计划": "asset_mgmt_plan",
        "资产管理计划": "asset_mgmt_plan",
        "结构化产品": "structured",
        "私募基金": "private_fund",
        "私募": "private_fund",
    },
    ("products.csv", "risk_level"): {
        "低风险": "R1",
        "中低风险": "R2",
        "中风险": "R3",
        "中高风险": "R4",
        "高风险": "R5",
    },
    ("products.csv", "horizon"): {"短期": "short", "中期": "medium", "长期": "long"},
    ("products.csv", "status"): {"在售": "on_sale", "已到期": "matured", "到期": "matured", "暂停": "suspended"},
    ("clients.csv", "client_type"): {"个人": "individual", "自然人": "individual", "机构": "institution"},
    ("clients.csv", "gender"): {
        "0": "unknown",
        "1": "male",
        "2": "female",
        "9": "unknown",
        "M": "male",
        "F": "female",
        "U": "unknown",
        "男": "male",
        "女": "female",
        "男性": "male",
        "女性": "female",
        "未知": "unknown",
        "未说明": "unknown",
    },
    ("clients.csv", "id_type"): {
        "身份证": "id_card",
        "居民身份证": "id_card",
        "护照": "passport",
        "港澳居民来往内地通行证": "hk_macau_permit",
        "台湾居民来往大陆通行证": "taiwan_permit",
        "外国人永久居留身份证": "foreign_pr",
        "营业执照": "business_licence",
        "其他": "other",
    },
    ("clients.csv", "status"): {"正常": "active", "休眠": "dormant", "冻结": "frozen", "销户": "closed"},
    ("accounts.csv", "account_type"): {
        "普通": "cash",
        "普通账户": "cash",
        "信用": "margin",
        "信用账户": "margin",
        "基金账户": "fund",
        "理财账户": "wealth",
    },
    ("accounts.csv", "status"): {"正常": "active", "休眠": "dormant", "冻结": "frozen", "销户": "closed"},
    ("assessments.csv", "risk_level"): {
        "保守型": "C1",
        "谨慎型": "C2",
        "稳健型": "C3",
        "积极型": "C4",
        "激进型": "C5",
    },
    ("assessments.csv", "investor_type"): {"普通投资者": "ordinary"},
    ("assessments.csv", "horizon"): {"短期": "short", "中期": "medium", "长期": "long"},
    ("transactions.csv", "side"): {
        "买入": "buy",
        "B": "buy",
        "卖出": "sell",
        "S": "sell",
        "申购": "subscribe",
        "认购": "subscribe",
        "赎回": "redeem",
        "分红": "dividend",
    },
    ("transactions.csv", "channel"): {
        "手机": "app",
        "网上": "web",
        "柜台": "counter",
        "电话": "phone",
        "其他": "other",
    },
    ("cashflows.csv", "direction"): {"转入": "in", "入金": "in", "转出": "out", "出金": "out"},
}


def default_rows() -> Iterable[tuple[str, str, str, str]]:
    """``(file, column, their code, our code)`` for every shipped default."""
    for (file, column), codes in DEFAULTS.items():
        for theirs, ours in codes.items():
            yield file, column, theirs, ours


class CodeMap(models.Model):
    file = models.CharField(_("file"), max_length=40)
    column = models.CharField(_("column"), max_length=40)
    their_code = models.CharField(
        _("their code"), max_length=64, help_text=_("As the counter system exports it; case and blanks do not count.")
    )
    # fold_code(their_code): what the import compares, and what must be unique per column.
    code_key = models.CharField(max_length=64, editable=False)
    our_code = models.CharField(_("our code"), max_length=32)
    active = models.BooleanField(_("active"), default=True, help_text=_("Switched off, the import ignores it."))
    note = models.CharField(_("note"), max_length=200, blank=True)
    shipped = models.BooleanField(_("shipped default"), default=False, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("code map")
        verbose_name_plural = _("code maps")
        ordering = ("file", "column", "code_key")
        constraints = [
            models.UniqueConstraint(
                fields=("file", "column", "code_key"),
                name="code_map_one_row_per_code",
                violation_error_message=_("This column already maps this code."),
            )
        ]

    def __str__(self) -> str:
        ours = code_label(self.file, self.column, self.our_code)
        return f"{column_label(self.file, self.column)}: {self.their_code} → {ours}"

    def save(self, *args, **kwargs):
        self.code_key = fold_code(self.their_code)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.their_code = " ".join(self.their_code.split())
        self.code_key = fold_code(self.their_code)
        if not (self.file and self.column):
            return  # the form's column field says it is required
        parser = coded_columns().get((self.file, self.column))
        if parser is None:
            raise ValidationError({"column": _("Not a coded column of the extract.")})
        ours = {value.lower() for value in parser.values}
        if self.code_key in ours:
            message = _("%(code)s is one of our own codes for this column: it needs no mapping.")
            raise ValidationError({"their_code": ValidationError(message, params={"code": self.their_code})})
        # The unique constraint, checked here: the form leaves out the file, column and key.
        same = CodeMap.objects.filter(file=self.file, column=self.column, code_key=self.code_key)
        if same.exclude(pk=self.pk).exists():
            raise ValidationError({"their_code": _("This column already maps this code.")})
        if self.our_code and self.our_code not in parser.values:  # empty: the field says so
            message = _("Choose one of the column's codes: %(codes)s.")
            raise ValidationError({"our_code": ValidationError(message, params={"codes": ", ".join(parser.values)})})


auditlog.register(CodeMap)


def load_aliases() -> dict[tuple[str, str], dict[str, str]]:
    """The active mappings, ``(file, column) → {folded code: our code}``: one query, whatever the
    size of the import. A row whose target is no longer one of the column's codes is skipped
    (the import then reports the code as unknown)."""
    columns = coded_columns()
    aliases: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for file, column, key, ours in CodeMap.objects.filter(active=True).values_list(
        "file", "column", "code_key", "our_code"
    ):
        parser = columns.get((file, column))
        if parser is not None and ours in parser.values:
            aliases[(file, column)][key] = ours
    return dict(aliases)


def with_code_maps(specs: dict[str, object]) -> dict[str, object]:
    """The import's file kinds (``name → spec``) with each coded column's parser carrying its
    code map: copies, the declarations themselves stay as they are."""
    aliases = load_aliases()
    mapped = {}
    for name, spec in specs.items():
        columns = tuple(_mapped(column, aliases.get((name, column.name))) for column in spec.columns)
        changed = any(new is not old for new, old in zip(columns, spec.columns, strict=True))
        mapped[name] = replace(spec, columns=columns) if changed else spec
    return mapped


def _mapped(column: Column, codes: dict[str, str] | None) -> Column:
    if not codes or not isinstance(column.parser, Choice):
        return column
    return replace(column, parser=replace(column.parser, aliases=codes))
