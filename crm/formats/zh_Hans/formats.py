"""Simplified Chinese number formats for a brokerage: amounts grouped by thousands with commas
(¥1,234,567.89, as statements and trading systems print them) — Django's own zh_Hans formats
group nothing. Everything else is Django's."""

from django.conf.locale.zh_Hans.formats import *  # noqa: F403

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
