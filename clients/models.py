"""Clients and everything the trading system tells us about them: accounts, positions, cash,
transactions, flows, daily asset snapshots; plus what advisors record (interactions) and what
the nightly run derives (tier, lifecycle stage, behaviour segment, churn score).

The fact tables (positions, balances, transactions, cash flows, snapshots) are the large ones —
tens of millions of rows — so they carry no per-row timestamps (the import batch records where
each load came from), use narrow types, and are indexed for the nightly run's reads by date and
the client page's reads by client. A foreign key whose column leads a composite index has no
index of its own (``db_index=False``): the composite serves its lookups, and every extra index
slows each night's load.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MinValueValidator
from django.db import connections, models
from django.db.models import Case, F, OuterRef, Q, Subquery, Value, When
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from clients import book_count
from clients.search_keys import search_keys
from core.access import ClientQuerySet, ClientScopedQuerySet
from core.choices import ContactChannel, ProductRisk, RiskTolerance, Tier
from core.models import TimeStampedModel
from core.pii import (
    EncryptedCharField,
    EncryptedTextField,
    mask_phone,
    normalize_email,
    normalize_id_number,
    normalize_phone,
    pii_hash,
)

MONEY = {"max_digits": 18, "decimal_places": 2}
QUANTITY = {"max_digits": 20, "decimal_places": 4}
PRICE = {"max_digits": 18, "decimal_places": 4}


def _assets_band() -> Case:
    """The power of ten of a client's total assets (0 below 10 yuan, 9 from a billion): the
    sort key the workbench's "largest first" walks by index, the assets themselves ordering the
    clients within a band. See ``Client.assets_band``."""
    return Case(
        *(When(total_assets__gte=10**power, then=Value(power)) for power in range(9, 0, -1)),
        default=Value(0),
        output_field=models.SmallIntegerField(),
    )


def _churn_decile() -> Case:
    """The tenth a churn score falls in (0 for [0, 0.1) … 9 for [0.9, 1]; -1 unscored, so the
    unscored come last in the descending sort through a plain index, no NULLS LAST)."""
    return Case(
        *(When(churn_score__gte=decile / 10, then=Value(decile)) for decile in range(9, -1, -1)),
        default=Value(-1),
        output_field=models.SmallIntegerField(),
    )


class BookQuerySet(ClientQuerySet):
    # Read by the admin's paginator (core.admin_utils): an unfiltered list's count is exact and
    # costs no more than the planner's estimate.
    count_is_kept = True

    def count(self) -> int:
        """A count of every client is the count the database keeps (``clients.book_count``);
        any other is PostgreSQL's COUNT."""
        if self._result_cache is None and book_count.counts_every_client(self.query):
            kept = book_count.kept_count(self.db)
            if kept is not None:
                return kept
        return super().count()


class Client(TimeStampedModel):
    """A client of the brokerage (客户): a person or an institution.

    ID number, phone, email and address are encrypted at rest; ``*_hash`` columns hold keyed
    hashes of the normalised values so exact-match search works without decrypting.
    """

    class ClientType(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        INSTITUTION = "institution", _("Institution")

    class Gender(models.TextChoices):
        MALE = "male", _("Male")
        FEMALE = "female", _("Female")
        UNKNOWN = "unknown", _("Unknown")

    class IdType(models.TextChoices):
        ID_CARD = "id_card", _("Resident ID card")
        PASSPORT = "passport", _("Passport")
        HK_MACAU_PERMIT = "hk_macau_permit", _("Mainland travel permit (HK/Macau)")
        TAIWAN_PERMIT = "taiwan_permit", _("Mainland travel permit (Taiwan)")
        FOREIGN_PERMANENT_RESIDENT = "foreign_pr", _("Foreign permanent resident ID")
        BUSINESS_LICENCE = "business_licence", _("Business licence (USCC)")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        ACTIVE = "active", pgettext_lazy("client status", "Active")
        DORMANT = "dormant", _("Dormant")
        FROZEN = "frozen", _("Frozen")
        CLOSED = "closed", pgettext_lazy("client status", "Closed")

    class IncomeBand(models.TextChoices):
        UNDER_100K = "lt_100k", _("Under 100,000")
        FROM_100K = "100k_300k", _("100,000–300,000")
        FROM_300K = "300k_500k", _("300,000–500,000")
        FROM_500K = "500k_1m", _("500,000–1,000,000")
        OVER_1M = "gt_1m", _("Over 1,000,000")

    class Objective(models.TextChoices):
        PRESERVATION = "preservation", _("Capital preservation")
        INCOME = "income", _("Steady income")
        BALANCED = "balanced", _("Balanced growth")
        GROWTH = "growth", _("Growth")
        SPECULATION = "speculation", _("Speculation")

    class LifecycleStage(models.TextChoices):
        PROSPECT = "prospect", _("Prospect")
        NEW = "new", pgettext_lazy("lifecycle stage", "New")
        GROWING = "growing", _("Growing")
        MATURE = "mature", _("Mature")
        DORMANT = "dormant", _("Dormant")
        CHURNED = "churned", _("Churned")

    class BehaviorSegment(models.TextChoices):
        ACTIVE_TRADER = "active_trader", _("Active trader")
        LONG_TERM = "long_term", _("Long-term investor")
        OPPORTUNISTIC = "opportunistic", _("Opportunistic")
        INACTIVE = "inactive", _("Inactive")

    client_no = models.CharField(_("client number"), max_length=32, unique=True)
    client_type = models.CharField(
        _("client type"), max_length=12, choices=ClientType.choices, default=ClientType.INDIVIDUAL
    )
    name = models.CharField(_("name"), max_length=200, db_index=True)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, default=Gender.UNKNOWN)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    id_type = models.CharField(_("ID type"), max_length=20, choices=IdType.choices, default=IdType.ID_CARD)
    id_number = EncryptedCharField(_("ID number"), max_length=64, blank=True)
    id_number_hash = models.CharField(max_length=64, blank=True, editable=False)  # indexed in Meta
    phone = EncryptedCharField(_("phone"), max_length=32, blank=True)
    phone_hash = models.CharField(max_length=64, blank=True, editable=False)  # indexed in Meta
    # The search columns (clients.search_keys): the phone's last four digits as a keyed hash of
    # its own, the name in pinyin initials and in full, the name's characters and pairs of them.
    phone_last4_hash = models.CharField(max_length=64, blank=True, editable=False)  # indexed in Meta
    name_initials = models.CharField(max_length=100, blank=True, editable=False)  # indexed in Meta
    name_pinyin = models.CharField(max_length=100, blank=True, editable=False)  # indexed in Meta
    name_parts = ArrayField(models.TextField(), default=list, blank=True, editable=False)  # indexed in Meta
    email = EncryptedCharField(_("email"), max_length=254, blank=True)
    email_hash = models.CharField(max_length=64, blank=True, editable=False)  # indexed in Meta
    address = EncryptedTextField(_("address"), blank=True)
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    income_band = models.CharField(_("annual income"), max_length=12, choices=IncomeBand.choices, blank=True)
    financial_assets = models.DecimalField(
        _("declared financial assets"), null=True, blank=True, validators=[MinValueValidator(0)], **MONEY
    )
    investment_experience_years = models.PositiveSmallIntegerField(
        _("investment experience (years)"), null=True, blank=True
    )
    objective = models.CharField(_("investment objective"), max_length=16, choices=Objective.choices, blank=True)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=10, choices=ContactChannel.choices, blank=True
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    branch = models.ForeignKey(
        "advisors.OrgUnit",
        verbose_name=_("branch"),
        on_delete=models.PROTECT,
        related_name="clients",
        db_index=False,  # covered by client_branch_scope
    )
    primary_advisor = models.ForeignKey(
        "advisors.Advisor",
        verbose_name=_("primary advisor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="primary_clients",
        help_text=_("Copy of the active primary assignment, kept for fast queries."),
    )

    # Derived by the nightly run; never typed in.
    tier = models.CharField(_("tier"), max_length=8, choices=Tier.choices, default=Tier.MASS)
    lifecycle_stage = models.CharField(
        _("lifecycle stage"), max_length=10, choices=LifecycleStage.choices, default=LifecycleStage.PROSPECT
    )
    behavior_segment = models.CharField(
        _("behaviour segment"), max_length=16, choices=BehaviorSegment.choices, default=BehaviorSegment.INACTIVE
    )
    churn_score = models.FloatField(_("churn score"), null=True, blank=True)
    risk_level = models.CharField(_("risk tolerance"), max_length=2, choices=RiskTolerance.choices, blank=True)
    total_assets = models.DecimalField(_("total assets"), default=0, **MONEY)
    # The average of the daily total assets over the tier window (``tier_average_days``, 20
    # trading days by default), written by the segmentation step beside ``total_assets``.
    average_assets = models.DecimalField(_("average assets (tier window)"), default=0, **MONEY)
    assets_as_of = models.DateField(_("assets as of"), null=True, blank=True)
    segmented_on = models.DateField(_("segmented on"), null=True, blank=True)
    # The nightly run rewrites every holder's assets, as-of day and churn score. No index names
    # those columns, so PostgreSQL updates the rows in place (HOT: the table's 19 indexes are
    # left alone; with the pages half free, see migration 0011) — ten times faster than a
    # rewrite that touches every index. The sorts by assets and by churn walk these coarse
    # keys instead, which change only when a client crosses a band.
    assets_band = models.GeneratedField(
        expression=_assets_band(),
        output_field=models.SmallIntegerField(),
        db_persist=True,
        verbose_name=_("assets band (power of ten)"),
    )
    churn_decile = models.GeneratedField(
        expression=_churn_decile(),
        output_field=models.SmallIntegerField(),
        db_persist=True,
        verbose_name=_("churn score decile"),
    )
    # Kept in step by refresh_last_contact (below) and suitability.models.refresh_risk_valid_until,
    # so the workbench filters on them with an index.
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True, editable=False)
    risk_valid_until = models.DateField(_("risk profile valid until"), null=True, blank=True, editable=False)
    # The investor class in force (ordinary / professional A–C), kept in step with assessments
    # and classifications by suitability.models.refresh_investor_type; "" = never assessed.
    investor_type = models.CharField(_("investor type"), max_length=16, blank=True, editable=False)
    # The highest risk level of the products the client holds (quantity above zero) on the book's
    # latest position day; "" = holds nothing that day. Kept exact by clients.held_risk: the
    # positions import refreshes it in the import's transaction when it loads or corrects the
    # latest day, and a trigger on products (migration 0019) when a product is re-rated, by any
    # path. The compliance workbench's R3+ holders queue reads it through the partial index below.
    held_risk = models.CharField(
        _("highest risk level held"),
        max_length=2,
        blank=True,
        editable=False,
        choices=ProductRisk.choices,
        db_default="",  # rows written without it (bulk loads naming their columns) hold nothing yet
    )
    marketing_opt_out = models.BooleanField(
        _("opted out of marketing"),
        default=False,
        help_text=_("The client asked not to be approached with offers: campaigns leave them out."),
    )
    sleeping = models.BooleanField(
        _("sleeping"),
        default=False,
        help_text=_("Small assets or no activity for months: worth a reactivation call (set nightly)."),
    )

    objects = BookQuerySet.as_manager()

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["client_no"]
        permissions = [("view_pii", _("Can reveal clients' personal data"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(churn_score__isnull=True) | Q(churn_score__gte=0, churn_score__lte=1),
                name="client_churn_score_0_1",
                violation_error_message=_("The churn score lies between 0 and 1."),
            ),
            models.CheckConstraint(
                condition=Q(total_assets__gte=0),
                name="client_total_assets_not_negative",
                violation_error_message=_("Total assets cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(opened_on__isnull=True) | Q(closed_on__gte=F("opened_on")),
                name="client_closed_after_opened",
                violation_error_message=_("A client cannot be closed before being opened."),
            ),
        ]
        indexes = [
            models.Index(fields=["branch", "status"], name="client_branch_status"),
            models.Index(fields=["primary_advisor", "status"], name="client_advisor_status"),
            models.Index(fields=["tier", "lifecycle_stage"], name="client_tier_stage"),
            models.Index(fields=["behavior_segment"], name="client_behavior"),
            models.Index(fields=["-churn_decile"], name="client_churn_decile"),
            models.Index(fields=["risk_level"], name="client_risk_level"),
            models.Index(fields=["-assets_band"], name="client_assets_band"),
            # A manager's scope is "clients of these branches": with the id in the index it is read
            # without visiting the table (a branch of 5,000 clients: 85 ms → 8 ms at 200,000).
            models.Index(fields=["branch", "id"], name="client_branch_scope"),
            # The alerts' ranking (alerts.ranking) reads a client's tier and assets band for every
            # open alert of the scope: from this index alone, without visiting the wide table
            # (compliance's 147,000 open alerts at 200,000 clients: 1.3 s → 0.5 s). Both columns
            # are indexed already, so the nightly's updates of them were not HOT before either.
            models.Index(fields=["id"], include=["tier", "assets_band"], name="client_rank_keys"),
            # The dashboard's "overdue for contact" and "risk profiles expiring" over a book.
            models.Index(
                fields=["tier", "last_contact_at"], name="client_contact_recency", condition=Q(status="active")
            ),
            models.Index(fields=["risk_valid_until"], name="client_risk_valid", condition=Q(status="active")),
            # The compliance workbench's "assessments of R3+ holders" (compliance.queues): the
            # holders of R3 or above in the queue's order. The levels are compliance.queues'
            # HELD_LEVELS, written out: the planner uses the index only for the same list.
            # Only the few clients whose level or validity changes rewrite it (the nightly's
            # updates of assets and scores stay HOT).
            models.Index(
                F("risk_valid_until").asc(nulls_first=True),
                F("client_no"),
                name="client_r3_holders_due",
                condition=Q(held_risk__in=("R3", "R4", "R5")),
            ),
            # The stored levels as clients.held_risk compares them with a new day's, read from
            # the index alone rather than from the wide table.
            models.Index(fields=["id"], include=["held_risk"], name="client_held_risk", condition=~Q(held_risk="")),
            # Exact lookups of the keyed hashes (search by phone or ID number, the import's
            # matching). Declared here rather than ``db_index=True``, which on PostgreSQL adds a
            # second ``varchar_pattern_ops`` index for LIKE that a hash never serves: three
            # indexes the nightly run would otherwise rewrite for every client it updates.
            models.Index(fields=["id_number_hash"], name="client_id_number_hash"),
            models.Index(fields=["phone_hash"], name="client_phone_hash"),
            models.Index(fields=["email_hash"], name="client_email_hash"),
            # Search (clients.search, docs/search.md): a phone's tail by hash equality; initials
            # and pinyin by prefix; one or two Han characters, or a latin word, by array element;
            # three characters or more anywhere in the name (``name__contains``) by trigram
            # (pg_trgm). None of these columns changes in the nightly run, whose updates stay HOT.
            models.Index(fields=["phone_last4_hash"], name="client_phone_last4_hash"),
            models.Index(fields=["name_initials"], name="client_name_initials", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["name_pinyin"], name="client_name_pinyin", opclasses=["varchar_pattern_ops"]),
            GinIndex(fields=["name_parts"], name="client_name_parts"),
            GinIndex(fields=["name"], name="client_name_trigram", opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.client_no})"

    def save(self, *args, **kwargs):
        # The hashes are a function of the values: keep them in step on every ORM save.
        # (Bulk loads compute them with the same helpers.)
        self.refresh_pii_hashes()
        super().save(*args, **kwargs)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    def refresh_pii_hashes(self) -> None:
        self.id_number_hash = pii_hash(normalize_id_number(self.id_number))
        self.phone_hash = pii_hash(normalize_phone(self.phone))
        self.email_hash = pii_hash(normalize_email(self.email))
        # With the phone's tail hash, the name's search columns: all functions of the values.
        keys = search_keys(name=self.name, phone=self.phone, individual=self.client_type != self.ClientType.INSTITUTION)
        for field, value in keys.items():
            setattr(self, field, value)


class ClientUserObjectPermission(UserObjectPermissionBase):
    """Per-client permissions granted to a user (sharing), with a direct foreign key so that
    guardian's lookups join on an indexed integer instead of a generic text object id."""

    content_object = models.ForeignKey(Client, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("client permission of a user")
        verbose_name_plural = _("client permissions of users")


class ClientGroupObjectPermission(GroupObjectPermissionBase):
    """Per-client permissions granted to a group, with a direct foreign key."""

    content_object = models.ForeignKey(Client, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("client permission of a group")
        verbose_name_plural = _("client permissions of groups")


class ClientShare(TimeStampedModel):
    """A client shared with a colleague (view, or view and change) until a date.

    Guardian has no expiry, so the share owns the guardian rows that carry the grant
    (``ClientUserObjectPermission``): ``clients.services.share_client`` and ``revoke_share``
    write both in one transaction, and the access scope (``core.access``) honours a guardian row
    only while its share is unrevoked and ``expires_on`` is today or later — an expired share
    stops working at once; a nightly cleanup deletes the stale guardian rows afterwards.
    The share stays as history after it expires or is revoked.
    """

    class Level(models.TextChoices):
        VIEW = "view", _("View")
        CHANGE = "change", _("View and change")

    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="shares")
    shared_with = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("shared with"),
        on_delete=models.CASCADE,
        related_name="client_shares",
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("granted by"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(_("level"), max_length=8, choices=Level.choices, default=Level.VIEW)
    expires_on = models.DateField(_("until"), help_text=_("The share works through this day."))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("client share")
        verbose_name_plural = _("client shares")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "shared_with"],
                condition=Q(revoked_at__isnull=True),
                name="one_active_share_per_client_user",
                violation_error_message=_("This client is already shared with this user."),
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | Q(revoked_by__isnull=False),
                name="client_share_revoked_by_someone",
                violation_error_message=_("A revoked share records who revoked it."),
            ),
        ]
        indexes = [
            # A user's live shares ("shared with me"); the scope's lookup by (client, user) uses
            # the unique constraint's index.
            models.Index(
                fields=["shared_with", "expires_on"],
                condition=Q(revoked_at__isnull=True),
                name="client_share_active_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} → {self.shared_with_id} ({self.level} until {self.expires_on})"

    def is_live(self, today) -> bool:
        return self.revoked_at is None and self.expires_on >= today


class Relationship(TimeStampedModel):
    """A client's tie to another client (family) or to an outside contact (trusted contact)."""

    class Kind(models.TextChoices):
        SPOUSE = "spouse", _("Spouse")
        PARENT = "parent", _("Parent")
        CHILD = "child", _("Child")
        SIBLING = "sibling", _("Sibling")
        TRUSTED_CONTACT = "trusted_contact", _("Trusted contact")
        KEY_INFLUENCER = "key_influencer", _("Key influencer")
        OTHER = "other", _("Other")

    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="relationships")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    related_client = models.ForeignKey(
        Client,
        verbose_name=_("related client"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="related_to",
    )
    contact_name = models.CharField(_("contact name"), max_length=100, blank=True)
    contact_phone = EncryptedCharField(_("contact phone"), max_length=32, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("relationship")
        verbose_name_plural = _("relationships")
        ordering = ["client", "kind"]
        constraints = [
            models.CheckConstraint(
                condition=Q(related_client__isnull=False) | ~Q(contact_name=""),
                name="relationship_has_counterpart",
                violation_error_message=_("Name either a related client or a contact."),
            ),
            models.CheckConstraint(
                condition=~Q(related_client=F("client")),
                name="relationship_not_self",
                violation_error_message=_("A client cannot be related to themselves."),
            ),
            models.UniqueConstraint(
                fields=["client", "related_client", "kind"],
                condition=Q(related_client__isnull=False),
                name="relationship_unique_pair",
                violation_error_message=_("This relationship is already recorded."),
            ),
        ]

    def __str__(self) -> str:
        other = self.related_client_id and str(self.related_client) or self.contact_name
        return f"{self.client} — {self.get_kind_display()}: {other}"


class Account(TimeStampedModel):
    """A trading account (cash, margin, fund or wealth) in the trading system."""

    class AccountType(models.TextChoices):
        CASH = "cash", _("Cash (securities)")
        MARGIN = "margin", _("Margin")
        FUND = "fund", _("Fund")
        WEALTH = "wealth", _("Wealth management")

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("account status", "Active")
        DORMANT = "dormant", _("Dormant")
        FROZEN = "frozen", _("Frozen")
        CLOSED = "closed", pgettext_lazy("account status", "Closed")

    account_no = models.CharField(_("account number"), max_length=32, unique=True)
    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.PROTECT, related_name="accounts")
    account_type = models.CharField(_("account type"), max_length=8, choices=AccountType.choices)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        ordering = ["account_no"]

    def __str__(self) -> str:
        return self.account_no


# The four tables the trading files load (positions, balances, transactions, cash flows) refer
# to accounts, clients and products without a database foreign-key constraint: PostgreSQL checks
# a constraint row by row (three lookups and row locks per position, 2.4 million a night at
# 200,000 clients — a third of the import's time), while the import proves every reference once,
# set-based, on its staging table (an unknown account or product is reported as file:line and
# nothing is written) and locks the referenced rows for the transaction. Django still applies
# ``on_delete`` (CASCADE / PROTECT) when an account, client or product is deleted.
LOADED_REFERENCE = {"db_constraint": False}


class Position(models.Model):
    """What an account holds of a product at the end of a day. A day's file replaces that day."""

    # No index of its own (nor on balances): every read of positions goes by client, product or
    # day, and the day's unique key serves the import; an account index only served deleting an
    # account (superusers, rare: accounts are closed, not deleted), while the nightly import paid
    # ≈ 1 s for it at 200,000 clients.
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        db_index=False,
        on_delete=models.CASCADE,
        related_name="positions",
        **LOADED_REFERENCE,
    )
    client = models.ForeignKey(
        Client,
        verbose_name=_("client"),
        db_index=False,
        on_delete=models.CASCADE,
        related_name="positions",
        help_text=_("The account's client, copied so per-client reads need no join."),
        **LOADED_REFERENCE,
    )
    product = models.ForeignKey(
        "products.Product",
        verbose_name=_("product"),
        db_index=False,
        on_delete=models.PROTECT,
        related_name="positions",
        **LOADED_REFERENCE,
    )
    as_of = models.DateField(_("as of"))
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    market_value = models.DecimalField(_("market value"), **MONEY)
    cost = models.DecimalField(_("cost"), **MONEY)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["-as_of", "account"]
        constraints = [
            models.UniqueConstraint(fields=["as_of", "account", "product"], name="position_unique_day_account_product"),
        ]
        indexes = [
            models.Index(fields=["client", "-as_of"], name="position_client_asof"),
            models.Index(fields=["product", "as_of"], name="position_product_asof"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.product_id} {self.as_of}"


class CashBalance(models.Model):
    """An account's cash at the end of a day."""

    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        db_index=False,  # as Position.account
        on_delete=models.CASCADE,
        related_name="balances",
        **LOADED_REFERENCE,
    )
    client = models.ForeignKey(
        Client,
        verbose_name=_("client"),
        db_index=False,
        on_delete=models.CASCADE,
        related_name="balances",
        **LOADED_REFERENCE,
    )
    as_of = models.DateField(_("as of"))
    cash = models.DecimalField(_("cash"), **MONEY)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("cash balance")
        verbose_name_plural = _("cash balances")
        ordering = ["-as_of", "account"]
        constraints = [models.UniqueConstraint(fields=["as_of", "account"], name="balance_unique_day_account")]
        indexes = [models.Index(fields=["client", "-as_of"], name="balance_client_asof")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.as_of}: {self.cash}"


class Transaction(models.Model):
    """A trade or a fund operation from the trading system, keyed by its ``trade_id``."""

    class Side(models.TextChoices):
        BUY = "buy", _("Buy")
        SELL = "sell", _("Sell")
        SUBSCRIBE = "subscribe", _("Subscribe")
        REDEEM = "redeem", _("Redeem")
        DIVIDEND = "dividend", _("Dividend")

    class Channel(models.TextChoices):
        APP = "app", _("Mobile app")
        WEB = "web", _("Web")
        COUNTER = "counter", _("Branch counter")
        PHONE = "phone", _("Phone")
        ADVISOR = "advisor", _("Through advisor")
        OTHER = "other", _("Other")

    trade_id = models.CharField(_("trade ID"), max_length=40, unique=True)
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="transactions", **LOADED_REFERENCE
    )
    client = models.ForeignKey(
        Client,
        verbose_name=_("client"),
        db_index=False,
        on_delete=models.PROTECT,
        related_name="transactions",
        help_text=_("The account's client, copied so per-client aggregates need no join."),
        **LOADED_REFERENCE,
    )
    product = models.ForeignKey(
        "products.Product",
        verbose_name=_("product"),
        db_index=False,
        on_delete=models.PROTECT,
        related_name="transactions",
        **LOADED_REFERENCE,
    )
    trade_date = models.DateField(_("trade date"))
    side = models.CharField(_("side"), max_length=10, choices=Side.choices)
    quantity = models.DecimalField(_("quantity"), **QUANTITY)
    price = models.DecimalField(_("price"), **PRICE)
    amount = models.DecimalField(_("amount"), **MONEY)
    commission = models.DecimalField(_("commission"), max_digits=14, decimal_places=2, default=0)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.APP)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        ordering = ["-trade_date", "trade_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(commission__gte=0),
                name="transaction_commission_not_negative",
                violation_error_message=_("Commission cannot be negative."),
            ),
        ]
        indexes = [
            models.Index(fields=["client", "-trade_date"], name="txn_client_date"),
            models.Index(fields=["trade_date"], name="txn_date"),
            models.Index(fields=["product", "trade_date"], name="txn_product_date"),
        ]

    def __str__(self) -> str:
        return self.trade_id


class CashFlow(models.Model):
    """Money moved into or out of an account (bank transfers), keyed by ``flow_id``."""

    class Direction(models.TextChoices):
        IN = "in", _("Inflow")
        OUT = "out", _("Outflow")

    flow_id = models.CharField(_("flow ID"), max_length=40, unique=True)
    account = models.ForeignKey(
        Account, verbose_name=_("account"), on_delete=models.PROTECT, related_name="cash_flows", **LOADED_REFERENCE
    )
    client = models.ForeignKey(
        Client,
        verbose_name=_("client"),
        db_index=False,
        on_delete=models.PROTECT,
        related_name="cash_flows",
        **LOADED_REFERENCE,
    )
    flow_date = models.DateField(_("flow date"))
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    amount = models.DecimalField(_("amount"), **MONEY)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("cash flow")
        verbose_name_plural = _("cash flows")
        ordering = ["-flow_date", "flow_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0),
                name="cashflow_amount_positive",
                violation_error_message=_("A cash flow's amount is positive; the direction says which way."),
            ),
        ]
        indexes = [
            models.Index(fields=["client", "-flow_date"], name="cashflow_client_date"),
            models.Index(fields=["flow_date"], name="cashflow_date"),
        ]

    def __str__(self) -> str:
        return self.flow_id


class AssetSnapshot(models.Model):
    """A client's assets at the end of a day, summed over accounts; feeds trends, tiers and
    reports without touching positions again."""

    # No database constraint, as for the loaded facts (``LOADED_REFERENCE``): the nightly snapshot
    # step writes a row per client in one statement that reads the clients table itself, and the
    # constraint's check, a row lock on each client, cost 2.7 s of that step's ≈ 8 s at 200,000
    # clients (and dirtied every client's page). The step writes only clients with an account,
    # which cannot be deleted (``Account.client`` protects them); Django's cascade deletes a
    # client's snapshots with the client.
    client = models.ForeignKey(
        Client,
        verbose_name=_("client"),
        db_index=False,
        on_delete=models.CASCADE,
        related_name="snapshots",
        **LOADED_REFERENCE,
    )
    as_of = models.DateField(_("as of"))
    total_assets = models.DecimalField(_("total assets"), **MONEY)
    cash = models.DecimalField(_("cash"), **MONEY)
    securities = models.DecimalField(_("securities"), **MONEY)
    net_inflow = models.DecimalField(_("net inflow that day"), default=0, **MONEY)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("asset snapshot")
        verbose_name_plural = _("asset snapshots")
        ordering = ["-as_of", "client"]
        constraints = [models.UniqueConstraint(fields=["client", "as_of"], name="snapshot_unique_client_day")]
        indexes = [models.Index(fields=["as_of"], name="snapshot_asof")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.as_of}: {self.total_assets}"


class SegmentChange(models.Model):
    """History of a client's tier and lifecycle stage: one row per change, written by the
    nightly run (reports' migration matrices read it)."""

    class Dimension(models.TextChoices):
        TIER = "tier", _("Tier")
        LIFECYCLE_STAGE = "lifecycle_stage", _("Lifecycle stage")
        BEHAVIOR_SEGMENT = "behavior_segment", _("Behaviour segment")

    client = models.ForeignKey(
        Client, verbose_name=_("client"), db_index=False, on_delete=models.CASCADE, related_name="segment_changes"
    )
    as_of = models.DateField(_("as of"))
    dimension = models.CharField(_("dimension"), max_length=16, choices=Dimension.choices)
    old_value = models.CharField(_("from"), max_length=16, blank=True)
    new_value = models.CharField(_("to"), max_length=16)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("segment change")
        verbose_name_plural = _("segment changes")
        ordering = ["-as_of"]
        constraints = [
            models.UniqueConstraint(fields=["client", "as_of", "dimension"], name="segment_change_unique_day"),
        ]
        indexes = [models.Index(fields=["as_of", "dimension"], name="segment_change_day_dim")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.dimension}: {self.old_value} → {self.new_value}"


class TierPolicy(models.Model):
    """Per tier: where it starts (20-day average assets, lower bound inclusive) and how often an
    advisor must contact such a client (服务频次要求). Edited by operations in admin."""

    tier = models.CharField(_("tier"), max_length=8, choices=Tier.choices, unique=True)
    min_assets = models.DecimalField(_("from assets (inclusive)"), **MONEY)
    contact_every_days = models.PositiveSmallIntegerField(_("contact at least every (days)"))

    class Meta:
        verbose_name = _("tier policy")
        verbose_name_plural = _("tier policies")
        ordering = ["min_assets"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_assets__gte=0),
                name="tier_policy_min_not_negative",
                violation_error_message=_("A tier's lower bound cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(contact_every_days__gte=1),
                name="tier_policy_contact_positive",
                violation_error_message=_("Contact frequency is at least one day."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_tier_display()} ≥ {self.min_assets}"


class Interaction(TimeStampedModel):
    """A contact with a client (服务记录): a call, meeting, visit, message. It records the
    products discussed and the client's risk level at that moment, so the record stands on its
    own in a later review."""

    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached")
        NO_ANSWER = "no_answer", _("No answer")
        FOLLOW_UP = "follow_up", _("Follow-up needed")
        INTERESTED = "interested", _("Interested")
        NOT_INTERESTED = "not_interested", _("Not interested")
        COMPLAINT = "complaint", _("Complaint raised")
        OTHER = "other", _("Other")

    client = models.ForeignKey(Client, verbose_name=_("client"), on_delete=models.CASCADE, related_name="interactions")
    advisor = models.ForeignKey(
        "advisors.Advisor", verbose_name=_("advisor"), on_delete=models.PROTECT, related_name="interactions"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=ContactChannel.choices)
    occurred_at = models.DateTimeField(_("when"))
    summary = models.TextField(_("summary"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.REACHED)
    next_follow_up_on = models.DateField(_("next follow-up"), null=True, blank=True)
    follow_up_done = models.BooleanField(_("follow-up done"), default=False)
    client_risk_level = models.CharField(
        _("client's risk level then"), max_length=2, choices=RiskTolerance.choices, blank=True
    )
    products_discussed = models.ManyToManyField(
        "products.Product", verbose_name=_("products discussed"), blank=True, related_name="+"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    alert = models.ForeignKey(
        "alerts.Alert",
        verbose_name=_("alert"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.SET_NULL
    )

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["client", "-occurred_at"], name="interaction_client_when"),
            models.Index(fields=["-occurred_at"], name="interaction_latest"),
            models.Index(
                fields=["advisor", "next_follow_up_on"],
                condition=Q(follow_up_done=False, next_follow_up_on__isnull=False),
                name="interaction_followups_due",
            ),
            # A manager's or the firm's follow-ups due, soonest first (the dashboard's list).
            models.Index(
                fields=["next_follow_up_on"],
                condition=Q(follow_up_done=False, next_follow_up_on__isnull=False),
                name="interaction_followups_by_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client} {self.get_channel_display()} {self.occurred_at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        refresh_last_contact([self.client_id], using=self._state.db)

    def delete(self, *args, **kwargs):
        client_id, using = self.client_id, self._state.db
        result = super().delete(*args, **kwargs)
        refresh_last_contact([client_id], using=using)
        return result


# ``Client.last_contact_at`` is kept on the client row so the workbench filters a whole book on
# it with an index instead of looking up every client's latest interaction. A single interaction
# keeps it current as it is saved or deleted; loads that write many rows at once (the master-data
# import) call ``refresh_last_contact`` once for the clients they touched: one set-based UPDATE
# whatever their number. (``risk_valid_until`` is kept the same way by suitability.models.)

# The whole book at once: one join with a GROUP BY rather than a lookup per client (which,
# while a bulk load has the indexes down, would read every interaction once per client).
_ALL_LAST_CONTACT = (
    "UPDATE clients_client SET last_contact_at = x.at FROM ("
    " SELECT client_id, MAX(occurred_at) AS at FROM clients_interaction GROUP BY client_id"
    ") x WHERE clients_client.id = x.client_id",
    "UPDATE clients_client SET last_contact_at = NULL WHERE last_contact_at IS NOT NULL"
    " AND NOT EXISTS (SELECT 1 FROM clients_interaction i WHERE i.client_id = clients_client.id)",
)


def run_statements(statements: tuple[str, ...], using: str) -> int:
    """Run whole-book UPDATE statements; the rows they wrote."""
    written = 0
    with connections[using].cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            written += max(cursor.rowcount, 0)
    return written


def clients_among(client_ids: Iterable[int] | None, using: str):
    clients = Client.objects.using(using)
    return clients if client_ids is None else clients.filter(pk__in=list(client_ids))


def refresh_last_contact(client_ids: Iterable[int] | None = None, *, using: str = "default") -> int:
    """Set ``last_contact_at`` from the interactions (all clients when ``client_ids`` is None)."""
    if client_ids is None:
        return run_statements(_ALL_LAST_CONTACT, using)

    latest = (
        Interaction.objects.using(using)
        .filter(client=OuterRef("pk"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    return clients_among(client_ids, using).update(last_contact_at=Subquery(latest))


class Segment(TimeStampedModel):
    """A saved client segment (客群): criteria in the client list's filter vocabulary
    (``clients.filters.ClientFilter``), stored as data and validated by ``clients.segments``.
    It counts and lists only the clients in the reader's scope. (The table keeps the name it
    had when segments lived in the campaigns app.)"""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    criteria = models.JSONField(_("criteria"), default=dict, blank=True, help_text=_("Client list filters, by name."))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="segments"
    )
    org_unit = models.ForeignKey(
        "advisors.OrgUnit",
        verbose_name=_("shared with unit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text=_("Empty: only the owner uses it."),
    )

    class Meta:
        db_table = "campaigns_segment"
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
