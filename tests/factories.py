"""factory_boy factories for the domain model: the smallest valid object of each kind."""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from advisors.models import Advisor, Assignment, OrgUnit
from alerts.models import Alert
from clients.models import Account, Client
from core.choices import Horizon, ProductRisk, RiskTolerance, Variety
from products.models import Product
from suitability.models import RiskAssessment, retention_date
from tickets.models import Ticket, TicketKind

TODAY = datetime.date(2026, 11, 20)


def org_unit(code: str, kind: str, parent: OrgUnit | None = None, name: str | None = None) -> OrgUnit:
    """Create a node of the org tree (treebeard computes the path: add_root / add_child)."""
    fields = {"code": code, "name": name or code, "kind": kind}
    return OrgUnit.objects.add_child(parent, fields) if parent else OrgUnit.objects.add_root(fields)


def org_tree() -> dict[str, OrgUnit]:
    """HQ → one branch company → two branches → one team each."""
    hq = org_unit("HQ", OrgUnit.Kind.HEADQUARTERS)
    sh = org_unit("SH", OrgUnit.Kind.BRANCH_COMPANY, hq)
    b1 = org_unit("SH01", OrgUnit.Kind.BRANCH, sh)
    b2 = org_unit("SH02", OrgUnit.Kind.BRANCH, sh)
    t1 = org_unit("SH01T1", OrgUnit.Kind.TEAM, b1)
    t2 = org_unit("SH02T1", OrgUnit.Kind.TEAM, b2)
    return {"hq": hq, "sh": sh, "b1": b1, "b2": b2, "t1": t1, "t2": t2}


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))
        if create:
            self.save()


def ops_user(username: str = "ops"):
    """An operations user (``ops`` role, staff)."""
    user = UserFactory(username=username, roles=["ops"])
    user.is_staff = True
    user.save()
    return user


class AdvisorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Advisor

    user = factory.SubFactory(UserFactory)
    code = factory.Sequence(lambda n: f"A{n:05d}")
    name = factory.Sequence(lambda n: f"顾问{n}")
    category = Advisor.Category.CLIENT_MANAGER


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    client_no = factory.Sequence(lambda n: f"C{n:08d}")
    name = factory.Sequence(lambda n: f"客户{n}")
    id_number = factory.Sequence(lambda n: f"110105199001{n:06d}")
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    opened_on = datetime.date(2024, 1, 2)


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    account_no = factory.Sequence(lambda n: f"AC{n:010d}")
    client = factory.SubFactory(ClientFactory)
    account_type = Account.AccountType.CASH


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    code = factory.Sequence(lambda n: f"P{n:06d}")
    name = factory.Sequence(lambda n: f"产品{n}")
    product_type = Product.ProductType.MIXED_FUND
    risk_level = ProductRisk.R3
    horizon = Horizon.MEDIUM
    variety = Variety.MIXED


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    client = factory.SubFactory(ClientFactory)
    advisor = factory.SubFactory(AdvisorFactory)
    started_on = datetime.date(2024, 1, 2)


class AlertFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alert

    advisor = factory.SubFactory(AdvisorFactory)
    client = factory.SubFactory(ClientFactory)
    kind = Alert.Kind.CONTACT_DUE
    title = "Contact due"
    due_on = TODAY
    dedupe_key = factory.Sequence(lambda n: f"contact_due:{n}:{TODAY}")


class RiskAssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RiskAssessment

    client = factory.SubFactory(ClientFactory)
    score = 40
    risk_level = RiskTolerance.C3
    horizon = Horizon.MEDIUM
    varieties = [Variety.CASH, Variety.FIXED_INCOME, Variety.MIXED]
    assessed_at = factory.LazyFunction(timezone.now)
    valid_until = datetime.date(2028, 11, 20)
    retain_until = factory.LazyAttribute(lambda a: retention_date(a.assessed_at.date()))


class TicketKindFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketKind
        django_get_or_create = ("code",)

    code = "inquiry"
    name = "Inquiry"
    name_zh = "咨询"


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    number = factory.Sequence(lambda n: f"T{n:08d}")
    client = factory.SubFactory(ClientFactory)
    kind = factory.SubFactory(TicketKindFactory)
    channel = Ticket.Channel.PHONE
    subject = "Question about fees"
    branch = factory.LazyAttribute(lambda t: t.client.branch)


MONEY_ZERO = Decimal("0.00")
