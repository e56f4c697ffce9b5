"""What every stage of the generator shares: the options, the calendar, seeded random streams,
the facts collected and the progress bars."""

from __future__ import annotations

import datetime as dt
import sys
import zlib
from dataclasses import dataclass, field
from typing import IO
from zoneinfo import ZoneInfo

import numpy as np
from faker import Faker
from tqdm import tqdm

from demo.dates import TradingCalendar, resolve_as_of
from demo.writer import Facts

CHINA = ZoneInfo("Asia/Shanghai")
# Clients per trading chunk. Part of the data's identity: the random streams are per chunk.
CHUNK_CLIENTS = 2_000


@dataclass(frozen=True)
class SeedOptions:
    clients: int
    seed: int = 1
    as_of: dt.date | None = None  # None: the last trading day before today (resolved on creation)
    flush: bool = False
    progress: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "as_of", resolve_as_of(self.as_of))


@dataclass
class Context:
    options: SeedOptions
    calendar: TradingCalendar
    writer: Facts
    progress_file: IO[str] = field(default_factory=lambda: sys.stderr)
    faker: Faker = field(init=False)

    def __post_init__(self) -> None:
        self.faker = Faker("zh_CN")
        self.faker.seed_instance(self.options.seed)

    @property
    def as_of(self) -> dt.date:
        return self.calendar.as_of

    @property
    def stamp(self) -> dt.datetime:
        """The creation time written on every generated row: the evening of the as-of day."""
        return dt.datetime.combine(self.as_of, dt.time(20, 0), tzinfo=CHINA)

    def rng(self, stream: str) -> np.random.Generator:
        """An independent random stream per stage, so one stage's draws never shift another's."""
        return np.random.default_rng([self.options.seed, zlib.crc32(stream.encode("utf-8"))])

    def bar(self, desc: str, total: int | None = None, unit: str = "it") -> tqdm:
        return tqdm(
            total=total,
            desc=f"{desc:<12}",
            unit=unit,
            file=self.progress_file,
            disable=not self.options.progress,
            leave=True,
            dynamic_ncols=True,
            mininterval=0.3,
        )


def local_to_utc(days: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    """China-local dates + seconds after midnight → UTC ``datetime64[s]`` (China has no DST)."""
    return days.astype("datetime64[s]") + seconds.astype("timedelta64[s]") - np.timedelta64(8 * 3600, "s")
