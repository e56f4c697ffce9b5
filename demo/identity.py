"""People's identities, vectorised: Chinese names, resident ID numbers (GB 11643, with a valid
region, birth date, sex digit and check digit), unified social credit codes (GB 32100),
mobile numbers, e-mail addresses and street addresses.

Name and region lists come from Faker's zh_CN providers; the draws come from numpy, so
200,000 people cost a few array operations, not 200,000 Faker calls.
"""

from __future__ import annotations

import numpy as np
from faker import Faker

from demo.columns import compact_dates, digits
from demo.places import CITIES, ESTATE_KINDS, ESTATES, GENERIC_ROADS

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

MOBILE_PREFIXES = np.array(
    [
        130,
        131,
        132,
        133,
        134,
        135,
        136,
        137,
        138,
        139,
        145,
        147,
        150,
        151,
        152,
        153,
        155,
        156,
        157,
        158,
        159,
        166,
        170,
        171,
        173,
        175,
        176,
        177,
        178,
        180,
        181,
        182,
        183,
        184,
        185,
        186,
        187,
        188,
        189,
        191,
        198,
        199,
    ]
)
MAIL_DOMAINS = ("163.com", "126.com", "sina.com", "sohu.com", "139.com", "foxmail.com", "outlook.com", "gmail.com")


class NamePool:
    """Surnames by frequency and given names by sex, from Faker's zh_CN person provider."""

    def __init__(self, faker: Faker):
        person = faker.provider("faker.providers.person")
        self.surnames = np.array(list(person.last_names.keys()), dtype=object)
        weights = np.array(list(person.last_names.values()), dtype=float)
        self.surname_p = weights / weights.sum()
        self.male = np.array(person.first_names_male, dtype=object)
        self.female = np.array(person.first_names_female, dtype=object)
        self.romanized_first = np.array([n.lower() for n in person.first_romanized_names], dtype=object)
        self.romanized_last = np.array([n.lower() for n in person.last_romanized_names], dtype=object)

    def names(self, rng: np.random.Generator, male: np.ndarray) -> list[str]:
        n = len(male)
        surname = rng.choice(self.surnames, size=n, p=self.surname_p)
        given = np.where(male, rng.choice(self.male, size=n), rng.choice(self.female, size=n))
        # Many given names are two characters: add a second one to single-character names.
        second = np.where(male, rng.choice(self.male, size=n), rng.choice(self.female, size=n))
        double = (
            (rng.random(n) < 0.45)
            & (np.char.str_len(given.astype(str)) == 1)
            & (np.char.str_len(second.astype(str)) == 1)
        )
        return [s + g + (t if d else "") for s, g, t, d in zip(surname, given, second, double, strict=True)]

    def email_locals(self, rng: np.random.Generator, n: int) -> list[str]:
        first = rng.choice(self.romanized_first, size=n)
        last = rng.choice(self.romanized_last, size=n)
        number = rng.integers(1, 9999, size=n)
        style = rng.random(n)
        out = []
        for f, la, num, s in zip(first, last, number, style, strict=True):
            if s < 0.4:
                out.append(f"{la}{f}{num}")
            elif s < 0.7:
                out.append(f"{f}.{la}")
            else:
                out.append(f"{la}_{f}{num % 100:02d}")
        return out


def region_codes(faker: Faker) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """County-level region codes (not ending in 00), all and per city code."""
    ssn = faker.provider("faker.providers.ssn")
    codes = np.array(sorted({int(c) for c in ssn.area_codes if not c.endswith("00")}), dtype=np.int64)
    text = codes.astype(str)
    local = {}
    for city in CITIES:
        mask = np.zeros(len(codes), dtype=bool)
        for prefix in city.id_prefixes:
            mask |= np.char.startswith(text, prefix)
        local[city.code] = codes[mask] if mask.any() else codes
    return codes, local


def resident_ids(region: np.ndarray, birth: np.ndarray, male: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """18-character resident ID numbers: region (6) + birth date (8) + sequence (3, odd for men)
    + ISO 7064 MOD 11-2 check character. Returns an ``S18`` array."""
    n = len(region)
    sequence = rng.integers(0, 500, size=n) * 2 + male.astype(np.int64)
    body = np.hstack([digits(region, 6), compact_dates(birth), digits(sequence, 3)])
    check = ID_CHECK[((body - 48).astype(np.int64) @ ID_WEIGHTS) % 11]
    matrix = np.ascontiguousarray(np.hstack([body, check[:, None]]))
    return matrix.view("S18").ravel()


def id_check_ok(number: str) -> bool:
    """Whether an 18-character resident ID's check character is right (used by tests)."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(c) * w for c, w in zip(number[:17], ID_WEIGHTS.tolist(), strict=True))
    return "10X98765432"[total % 11] == number[17]


def unified_credit_codes(region: np.ndarray, rng: np.random.Generator) -> list[str]:
    """Unified social credit codes (统一社会信用代码) of companies registered in ``region``."""
    out = []
    bodies = rng.integers(10_000_000, 99_999_999, size=len(region))
    for reg, body in zip(region.tolist(), bodies.tolist(), strict=True):
        org = f"{body:08d}"
        check = 11 - sum(int(c) * w for c, w in zip(org, ORG_CODE_WEIGHTS, strict=True)) % 11
        org += {10: "X", 11: "0"}.get(check, str(check))
        head = f"91{reg:06d}{org}"
        total = sum(USCC_CHARS.index(c) * w for c, w in zip(head, USCC_WEIGHTS, strict=True))
        out.append(head + USCC_CHARS[(31 - total % 31) % 31])
    return out


def mobiles(rng: np.random.Generator, n: int) -> np.ndarray:
    """Distinct 11-digit mainland mobile numbers (1[3-9]x …), as int64."""
    weights = np.where(MOBILE_PREFIXES < 160, 2.0, 1.0)
    prefix = rng.choice(MOBILE_PREFIXES, size=n, p=weights / weights.sum())
    numbers = prefix * 100_000_000 + rng.integers(0, 100_000_000, size=n)
    while True:  # redraw the rare collisions
        _, first = np.unique(numbers, return_index=True)
        dup = np.setdiff1d(np.arange(n), first)
        if not len(dup):
            return numbers
        numbers[dup] = prefix[dup] * 100_000_000 + rng.integers(0, 100_000_000, size=len(dup))


def emails(pool: NamePool, rng: np.random.Generator, n: int) -> list[str]:
    qq = rng.random(n) < 0.4
    qq_number = rng.integers(10_000, 3_999_999_999, size=n)
    locals_ = pool.email_locals(rng, n)
    domains = rng.choice(np.array(MAIL_DOMAINS, dtype=object), size=n)
    return [
        f"{num}@qq.com" if is_qq else f"{local}@{domain}"
        for is_qq, num, local, domain in zip(qq, qq_number, locals_, domains, strict=True)
    ]


def addresses(city_idx: np.ndarray, rng: np.random.Generator) -> list[str]:
    """Residential addresses in the given cities (index into ``CITIES``)."""
    n = len(city_idx)
    u_district, u_road, u_estate, u_kind = rng.random((4, n))
    number = rng.integers(1, 2000, size=n)
    building = rng.integers(1, 30, size=n)
    floor = rng.integers(1, 33, size=n)
    door = rng.integers(1, 5, size=n)
    out = []
    for k, c in enumerate(city_idx.tolist()):
        city = CITIES[c]
        roads = city.roads + GENERIC_ROADS
        out.append(
            f"{city.full_name}{city.districts[int(u_district[k] * len(city.districts))]}"
            f"{roads[int(u_road[k] * len(roads))]}{number[k]}号"
            f"{ESTATES[int(u_estate[k] * len(ESTATES))]}{ESTATE_KINDS[int(u_kind[k] * len(ESTATE_KINDS))]}"
            f"{building[k]}栋{floor[k]}{door[k]:02d}室"
        )
    return out
