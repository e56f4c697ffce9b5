"""Names in their language's order and yuan amounts as cards, tables and exports write them
(core.names, core.money, the display_tags filters)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.template import Context, Template
from django.utils import translation

from core import money, names


@pytest.mark.parametrize(
    "family,given,shown",
    [
        ("张", "鑫旭", "张鑫旭"),  # Chinese: surname first, no space
        ("欧阳", "娜娜", "欧阳娜娜"),  # a two-character surname
        ("", "张鑫旭", "张鑫旭"),  # stored whole (the extract's advisors.csv)
        ("", "张 鑫旭", "张鑫旭"),  # a stray space between Chinese characters
        ("常", "", "常"),
        ("Smith", "Anna", "Anna Smith"),  # western: as written, given name first
        ("", "Anna Smith", "Anna Smith"),
        ("  Smith ", " Anna  ", "Anna Smith"),
        ("", "", ""),
        (None, None, ""),
    ],
)
def test_a_name_reads_in_its_languages_order(family, given, shown):
    assert names.person_name(family, given) == shown


def test_a_whole_name_keeps_its_spaces_unless_they_sit_between_chinese_characters():
    assert names.display_name(" 阿卜杜 · 热合曼 ") == "阿卜杜·热合曼"
    assert names.display_name("Mary  Jane Watson") == "Mary Jane Watson"
    assert names.display_name("王 Tony") == "王 Tony"
    assert names.display_name(None) == ""
    assert names.is_chinese("王") and not names.is_chinese("Wang")


def test_a_user_reads_by_name_and_else_by_username():
    assert names.user_name(User(username="chang.jie", first_name="洁", last_name="常")) == "常洁"
    assert names.user_name(User(username="anna", first_name="Anna", last_name="Smith")) == "Anna Smith"
    assert names.user_name(User(username="ops1")) == "ops1"
    assert names.user_name(None) == ""


def test_the_person_filter_shows_users_and_whole_names():
    template = Template("{% load display_tags %}{{ user|person }}|{{ whole|person }}|{{ nobody|person }}")
    user = User(username="zhang.xx", first_name="鑫旭", last_name="张")
    assert template.render(Context({"user": user, "whole": "张 三", "nobody": None})) == "张鑫旭|张三|"


@pytest.mark.parametrize(
    "value,chinese,english",
    [
        (143266282, "¥1.43亿", "¥143.3M"),
        (Decimal("6497460.19"), "¥649.7万", "¥6.50M"),
        (12345, "¥1.23万", "¥12,345"),
        (9999, "¥9,999", "¥9,999"),
        (Decimal("9999.6"), "¥1.00万", "¥10,000"),  # rounded first, then sized
        (99_999_999.9, "¥1.00亿", "¥100.0M"),  # 9,999.99万 rounds up into 亿
        (14_326_628_200, "¥143.3亿", "¥14.33B"),
        (-6_497_460, "-¥649.7万", "-¥6.50M"),
        (0, "¥0", "¥0"),
        (None, "—", "—"),
        ("not a number", "—", "—"),
    ],
)
def test_a_cards_amount_is_short_in_wan_and_yi_in_chinese_and_millions_in_english(value, chinese, english):
    with translation.override("zh-hans"):
        assert money.short_yuan(value, "zh-hans") == chinese
    with translation.override("en"):
        assert money.short_yuan(value, "en") == english


def test_an_exact_amount_is_grouped_with_the_yuan_sign_in_both_languages():
    for language in ("zh-hans", "en"):
        with translation.override(language):
            assert money.yuan(Decimal("6497460.19")) == "¥6,497,460.19"
            assert money.yuan(143266282, 0) == "¥143,266,282"
            assert money.yuan(Decimal("-1234.5")) == "-¥1,234.50"
            assert money.yuan(Decimal("-0.001")) == "¥0.00"  # never "-¥0.00"
            assert money.grouped(Decimal("9.999"), 2) == "10.00"  # rounded, not cut
            assert money.short_yuan(Decimal("4500"), language, 2) == "¥4,500.00"


def test_the_money_filters_follow_the_active_language():
    template = Template("{% load display_tags %}{{ v|money_short }} {{ v|yuan:0 }}")
    with translation.override("zh-hans"):
        assert template.render(Context({"v": 143266282})) == "¥1.43亿 ¥143,266,282"
    with translation.override("en"):
        assert template.render(Context({"v": 143266282})) == "¥143.3M ¥143,266,282"


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_counts_people_read_are_grouped_by_thousands_and_a_capped_count_says_so(language):
    from django.utils.functional import SimpleLazyObject

    template = Template(
        "{% load display_tags crm_tags %}"
        "{{ n|thousands }}|{{ lazy|thousands }}|{{ lazy|capped:1000 }}|{{ few|capped:1000 }}"
    )
    with translation.override(language):
        shown = template.render(Context({"n": 147534, "lazy": SimpleLazyObject(lambda: 1001), "few": 999}))
    assert shown == "147,534|1,001|1,000+|999"


def test_runs_of_items_and_labels_use_the_languages_punctuation():
    """Lists read 、 and ；, a label's colon ： in Chinese (never ASCII ``, ; :``); each item is
    escaped."""
    template = Template("{% load display_tags %}{{ steps|listing }} | {{ reasons|clauses }} | A{% colon %}b")
    context = Context({"steps": ["冷静期", "回访 <b>"], "reasons": ["占资产 97%", "资产 ¥3.79万"]})
    with translation.override("zh-hans"):
        assert template.render(context) == "冷静期、回访 &lt;b&gt; | 占资产 97%；资产 ¥3.79万 | A：b"
    with translation.override("en"):
        assert template.render(context) == "冷静期, 回访 &lt;b&gt; | 占资产 97%; 资产 ¥3.79万 | A: b"


def test_numbers_are_written_as_django_writes_them_in_both_languages():
    """``core.money.number`` is Python's formatting in place of Django's ``number_format`` (a
    half the time): the same text for every kind of value the pages format."""
    import random

    from django.utils.formats import number_format

    rng = random.Random(28)
    exact = ["0", "-0", "0.004", "-0.004", "0.05", "-0.05", "0.5", "-0.5", "9.999", "-9.999", "1234.5", "1E+3"]
    values = [0, 7, -7, 999, 1000, -1000, 1234567, 10**15, *map(Decimal, [*exact, "1.5E-7", "123456789.123456"])]
    values += [Decimal(rng.randint(-(10**12), 10**12)).scaleb(-rng.randint(0, 6)) for _ in range(300)]
    values += [rng.randint(-(10**9), 10**9) for _ in range(100)]
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for value in values:
                for places in (None, 0, 1, 2, 4):
                    for grouping in (True, False):
                        expected = str(number_format(value, places, use_l10n=True, force_grouping=grouping))
                        shown = money.number(value, places, grouping=grouping)
                        assert shown == expected, (language, value, places, grouping)
