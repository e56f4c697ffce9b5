"""Simplified Chinese formats for a brokerage. Amounts grouped by thousands with commas
(¥1,234,567.89, as statements and trading systems print them) — Django's own zh_Hans formats
group nothing. Dates in text are Django's: 2026年11月20日, 2026年11月20日 14:05.

Inputs read ISO first: Django fills a date input with the first DATE_INPUT_FORMATS entry, and
Django's first Chinese entry, "2027/01/05", is refused by the browser's date input (which takes
only 2027-01-05), so a pre-filled date came up empty in Chinese only. The slash and 年月日 forms
are still accepted when typed."""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403
from django.conf.locale.zh_Hans.formats import DATE_INPUT_FORMATS as _DATE_INPUTS
from django.conf.locale.zh_Hans.formats import DATETIME_INPUT_FORMATS as _DATETIME_INPUTS

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3

DATE_INPUT_FORMATS = ["%Y-%m-%d"] + [f for f in _DATE_INPUTS if f != "%Y-%m-%d"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] + [
    f for f in _DATETIME_INPUTS if f not in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
]
