"""English formats for a brokerage read in mainland China and Hong Kong: one date style
everywhere, day first with the month as a word ("20 Nov 2026") so that it cannot be read the US
or the British way round, 24-hour times ("20 Nov 2026 14:05") as trading systems print them.
Django's own English formats mix "Nov. 20, 2026" (DATE_FORMAT) with "11/20/2026"
(SHORT_DATE_FORMAT) on one page. Inputs stay ISO (the first DATE_INPUT_FORMATS entry, which is
what a date input is filled with). Everything else is Django's."""

from django.conf.locale.en.formats import *  # noqa: F403

DATE_FORMAT = "j M Y"  # 20 Nov 2026
SHORT_DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"  # 14:05
DATETIME_FORMAT = "j M Y H:i"  # 20 Nov 2026 14:05
SHORT_DATETIME_FORMAT = "j M Y H:i"
YEAR_MONTH_FORMAT = "M Y"  # Nov 2026
MONTH_DAY_FORMAT = "j M"  # 20 Nov
FIRST_DAY_OF_WEEK = 1  # Monday, as in China
