"""Suitability workflows that read and write the database: take an assessment, run and record
a check, record the steps owed (warning, confirmation, recording, consideration period,
callback), decide investor classifications, and find holdings that drifted out of suitability.

The decisions themselves are the plain rules (``scoring``, ``rules``, ``classification``,
``validity``); this module gathers their inputs from the database, calls them, and writes the
append-only records (retained 20 years, art. 32). Callers check model permissions and scope
(``visible_to``) first; these functions trust the client and product they are given.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Avg, Max, Sum
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from alerts.models import Alert
from alerts.raising import AlertKey, NewAlert, close_for_clients, raise_alerts
from clients.models import AssetSnapshot, Client, Position
from core import thresholds
from products.models import Product
from suitability import classification as classes
from suitability.models import (
    InvestorClassification,
    Questionnaire,
    RiskAssessment,
    SuitabilityCheck,
    SuitabilityStep,
    retention_date,
)
from suitability.reasons import Reason
from suitability.rules import (
    STEPS,
    Decision,
    Drift,
    Holding,
    InvestorProfile,
    ProductProfile,
    Sale,
    check,
    drifted_holdings,
)
from suitability.scoring import (
    AnswerError,
    BandSpec,
    ChoiceSpec,
    QuestionnaireSpec,
    QuestionSpec,
    Scored,
    band_problems,
    score_answers,
)
from suitability.validity import Policy, assessment_limit_reasons, parse_assessment_limits, valid_until

AVERAGE_ASSETS_DAYS = 20
CENT = Decimal("0.01")


class SuitabilityError(Exception):
    """A workflow refused: ``code`` is stable (API error code), ``message`` for people,
    ``reasons`` the rules' reasons where there are some, ``fields`` per-field problems."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        reasons: Sequence[Reason] = (),
        fields: Mapping[str, Any] | None = None,
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.reasons = tuple(reasons)
        self.fields = dict(fields or {})


def policy() -> Policy:
    """The firm's rules as the decisions take them: the thresholds in force (``core.thresholds``,
    edited by ops in the admin, one query) and the deployment settings."""
    values = thresholds.current()
    return Policy(
        valid_months=values["assessment_valid_months"],
        # One threshold for "expiring": the nightly's alert and the assessment's state agree.
        expiring_within_days=values["risk_profile_expiring_days"],
        elderly_age=values["elderly_age"],
        high_risk_from=f"R{values['high_risk_from_level']}",
        consideration_hours=values["consideration_hours"],
        assessment_limits=parse_assessment_limits(settings.SUITABILITY_ASSESSMENT_LIMITS),
    )


# --- Reading profiles -----------------------------------------------------------------------


def active_questionnaire(audience: str = Questionnaire.Audience.INDIVIDUAL) -> Questionnaire | None:
    return Questionnaire.objects.filter(audience=audience, is_active=True).first()


def questionnaire_spec(questionnaire: Questionnaire) -> QuestionnaireSpec:
    """The questionnaire as the scoring rules take it (two queries)."""
    questions = questionnaire.questions.prefetch_related("choices").order_by("number")
    return QuestionnaireSpec(
        questions=tuple(
            QuestionSpec(
                number=q.number,
                multiple=q.multiple,
                category=q.category,
                choices=tuple(
                    ChoiceSpec(
                        label=c.label,
                        score=c.score,
                        marks_lowest_category=c.marks_lowest_category,
                        declares_horizon=c.declares_horizon,
                        declares_variety=c.declares_variety,
                    )
                    for c in q.choices.all()
                ),
            )
            for q in questions
        ),
        bands=tuple(
            BandSpec(b.risk_level, b.min_score, b.max_score, b.lowest_category)
            for b in questionnaire.bands.order_by("min_score")
        ),
    )


def current_assessment(client: Client) -> RiskAssessment | None:
    """The client's assessment in force: the latest one (never edited, superseded by newer)."""
    return RiskAssessment.objects.filter(client=client).order_by("-assessed_at", "-pk").first()


def _type_in_force(record: Any, fallback: str, today: datetime.date) -> str:
    """``record``: the latest decided classification — a model instance, or its values (the
    nightly drift reads them as tuples) with ``status``, ``treat_as_ordinary``,
    ``valid_until`` and ``investor_type``; None without one."""
    if record is None:
        return fallback or classes.ORDINARY
    if record.status != InvestorClassification.Status.APPROVED or record.treat_as_ordinary:
        return classes.ORDINARY
    if record.valid_until is not None and record.valid_until < today:
        return classes.ORDINARY
    return record.investor_type


def _decided_classifications(client_ids: Iterable[int]):
    return InvestorClassification.objects.filter(
        client_id__in=client_ids,
        status__in=[InvestorClassification.Status.APPROVED, InvestorClassification.Status.REVOKED],
    ).order_by("client_id", "-created_at", "-pk")


def investor_type_in_force(client: Client, today: datetime.date, assessment: RiskAssessment | None = None) -> str:
    """The class the client is treated as today. The latest decided classification record wins
    (approved and unexpired: its class, or ordinary when they asked to be treated as ordinary;
    revoked: ordinary); without one, the class the trading system sent with the assessment;
    else ordinary."""
    record = _decided_classifications([client.pk]).first()
    return _type_in_force(record, assessment.investor_type if assessment else "", today)


def average_assets(client_id: int, today: datetime.date) -> Decimal | None:
    """The average of the client's last 20 daily asset snapshots up to ``today`` (fewer when
    fewer exist); None without any — an access threshold is then not met."""
    # One query: the average over the sliced rows (Django wraps the slice in a subquery).
    value = (
        AssetSnapshot.objects.filter(client_id=client_id, as_of__lte=today)
        .order_by("-as_of")[:AVERAGE_ASSETS_DAYS]
        .aggregate(average=Avg("total_assets"))["average"]
    )
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


def _profile(
    client: Client, assessment: RiskAssessment | None, investor_type: str, assets: Decimal | None
) -> InvestorProfile:
    return InvestorProfile(
        investor_type=investor_type,
        risk_level=assessment.risk_level if assessment else None,
        lowest_category=assessment.lowest_category if assessment else False,
        horizon=assessment.horizon if assessment else None,
        varieties=frozenset(assessment.varieties or []) if assessment else frozenset(),
        valid_until=assessment.valid_until if assessment else None,
        birth_date=client.birth_date if client.client_type == Client.ClientType.INDIVIDUAL else None,
        average_assets_20d=assets,
    )


# ``investor_profile``'s assessment when the caller has not read it (None: the client has none).
UNREAD: Any = object()


def investor_profile(
    client: Client, today: datetime.date, assessment: RiskAssessment | None = UNREAD
) -> InvestorProfile:
    """The client as the rules see them today (two queries, three without ``assessment``)."""
    if assessment is UNREAD:
        assessment = current_assessment(client)
    return _profile(
        client, assessment, investor_type_in_force(client, today, assessment), average_assets(client.pk, today)
    )


def product_profile(product: Product) -> ProductProfile:
    return ProductProfile(
        risk_level=product.risk_level,
        horizon=product.horizon,
        variety=product.variety,
        professional_only=product.professional_only,
        access_min_assets=product.access_min_assets,
        needs_dual_recording=product.needs_dual_recording,
    )


# --- Assessments ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TakenAssessment:
    assessment: RiskAssessment
    scored: Scored
    drift_alerts: int


def take_assessment(
    *,
    client: Client,
    answers: Mapping[Any, Sequence[str]],
    user: Any,
    source: str = RiskAssessment.Source.WORKBENCH,
    questionnaire: Questionnaire | None = None,
    now: datetime.datetime | None = None,
) -> TakenAssessment:
    """Score ``answers`` ({question number: [labels]}) against the questionnaire (the active one
    for individuals by default), store the assessment with each answer's contribution, set the
    client's current risk level, and raise drift alerts for holdings that no longer match.

    Refused (``SuitabilityError``) when the answers do not fit (``invalid``), no questionnaire is
    in use (``no_questionnaire``), or a per-channel limit is reached (``assessment_limit``).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    questionnaire = questionnaire or active_questionnaire()
    if questionnaire is None:
        raise SuitabilityError("no_questionnaire", _("No risk questionnaire is in use."))
    spec = questionnaire_spec(questionnaire)
    problems = band_problems(spec.bands)
    if problems:
        raise SuitabilityError(
            "bad_questionnaire",
            _("The questionnaire's score bands are not usable."),
            fields={"questionnaire": problems},
        )
    try:
        scored = score_answers(spec, answers)
    except AnswerError as exc:
        raise SuitabilityError(
            "invalid",
            _("Some answers are not valid."),
            fields={"answers": {str(number): [problem] for number, problem in exc.problems.items()}},
        ) from exc
    rules_policy = policy()
    with transaction.atomic():
        # One assessment at a time per client: the limit count and the insert cannot race.
        Client.objects.select_for_update().filter(pk=client.pk).first()
        if rules_policy.assessment_limits:
            taken = RiskAssessment.objects.filter(client=client, source=source)
            start_of_year = datetime.datetime.combine(today.replace(month=1, day=1), datetime.time.min)
            start_of_day = datetime.datetime.combine(today, datetime.time.min)
            zone = timezone.get_current_timezone()
            refused = assessment_limit_reasons(
                source,
                taken.filter(assessed_at__gte=timezone.make_aware(start_of_day, zone)).count(),
                taken.filter(assessed_at__gte=timezone.make_aware(start_of_year, zone)).count(),
                rules_policy,
            )
            if refused:
                raise SuitabilityError("assessment_limit", refused[0].message(_language()), reasons=refused)
        previous = current_assessment(client)
        assessment = RiskAssessment.objects.create(
            client=client,
            questionnaire=questionnaire,
            answers={str(c.number): list(c.labels) for c in scored.contributions},
            contributions=[
                {
                    "number": c.number,
                    "labels": list(c.labels),
                    "score": c.score,
                    "lowest_category": c.marks_lowest_category,
                }
                for c in scored.contributions
            ],
            score=scored.score,
            risk_level=scored.level,
            lowest_category=scored.lowest_category,
            investor_type=investor_type_in_force(client, today, previous),
            horizon=scored.horizon,
            varieties=list(scored.varieties),
            assessed_at=now,
            valid_until=valid_until(today, rules_policy.valid_months),
            source=source,
            assessed_by=user if getattr(user, "is_authenticated", False) else None,
            retain_until=retention_date(today),
        )
        Client.objects.filter(pk=client.pk).update(risk_level=scored.level, updated_at=now)
        client.risk_level = scored.level
        # The causes of the client's expiring-profile and drift alerts are gone with this
        # assessment, in this transaction: the profile is new, and a drift named the assessment
        # it was judged against. A holding that still drifts raises anew, keyed to this one.
        close_for_clients(Alert.Kind.RISK_PROFILE_EXPIRING, [client.pk])
        close_for_clients(Alert.Kind.SUITABILITY_DRIFT, [client.pk])
        alerts = raise_drift_alerts(client_ids=[client.pk], today=today)
    return TakenAssessment(assessment, scored, alerts)


def _language() -> str:
    return get_language() or settings.LANGUAGE_CODE


# --- Checks and their steps -----------------------------------------------------------------


def run_check(
    *,
    client: Client,
    product: Product,
    initiated_by: str,
    user: Any,
    channel: str = SuitabilityCheck.Channel.ONLINE,
    today: datetime.date | None = None,
) -> tuple[SuitabilityCheck, Decision]:
    """Decide whether the client may buy the product and record the decision as it stood."""
    today = today or timezone.localdate()
    assessment = current_assessment(client)
    profile = investor_profile(client, today, assessment)
    rules_policy = policy()
    decision = check(
        profile, product_profile(product), Sale(today=today, initiated_by=initiated_by, channel=channel), rules_policy
    )
    consideration_ends = None
    if SuitabilityStep.Kind.CONSIDERATION_PERIOD in decision.requires:
        consideration_ends = timezone.now() + datetime.timedelta(hours=rules_policy.consideration_hours)
    advisor = getattr(user, "advisor", None) if getattr(user, "is_authenticated", False) else None
    record = SuitabilityCheck.objects.create(
        client=client,
        product=product,
        advisor=advisor or client.primary_advisor,
        assessment=assessment,
        initiated_by=initiated_by,
        channel=channel,
        outcome=decision.outcome.value,
        reasons=[reason.as_record() for reason in decision.reasons],
        requires=list(decision.requires),
        client_level=decision.client_level,
        client_lowest_category=profile.lowest_category,
        investor_type=profile.investor_type,
        product_level=decision.product_level,
        checked_by=user if getattr(user, "is_authenticated", False) else None,
        retain_until=retention_date(today),
        consideration_ends_at=consideration_ends,
    )
    return record, decision


def outstanding_steps(record: SuitabilityCheck) -> list[str]:
    """The steps the check requires that have not been recorded yet, in order."""
    done = set(record.steps.values_list("kind", flat=True))
    return [step for step in STEPS if step in record.requires and step not in done]


def consideration_ends_at(record: SuitabilityCheck) -> datetime.datetime:
    """When the check's consideration period ends: fixed on the check when it was made."""
    if record.consideration_ends_at is not None:
        return record.consideration_ends_at
    return record.created_at + datetime.timedelta(hours=policy().consideration_hours)  # a check owing none


def record_step(
    *,
    check_record: SuitabilityCheck,
    kind: str,
    user: Any,
    reference: str = "",
    note: str = "",
    now: datetime.datetime | None = None,
) -> SuitabilityStep:
    """Record that a step the check requires was done. Refused when the check is prohibited,
    the step is not required or already recorded, a recording has no reference, the
    confirmation comes before the warning, or the consideration period has not ended."""
    now = now or timezone.now()
    if check_record.outcome == SuitabilityCheck.Outcome.PROHIBITED:
        raise SuitabilityError("prohibited", _("The check prohibits this sale: nothing can be recorded against it."))
    if kind not in STEPS:
        raise SuitabilityError("invalid", _("Unknown step."), fields={"kind": [_("Unknown step.")]})
    if kind not in check_record.requires:
        raise SuitabilityError("not_required", _("This check does not require that step."))
    if kind == SuitabilityStep.Kind.DUAL_RECORDING and not reference.strip():
        raise SuitabilityError(
            "recording_reference_required",
            _("Give the reference of the audio/video recording."),
            fields={"reference": [_("Give the reference of the audio/video recording.")]},
        )
    done = set(check_record.steps.values_list("kind", flat=True))
    if kind in done:
        raise SuitabilityError("already_recorded", _("This step is already recorded for the check."))
    if kind == SuitabilityStep.Kind.CLIENT_CONFIRMATION and "special_warning" not in done:
        raise SuitabilityError("warning_first", _("Give the special risk warning before the client confirms."))
    if kind == SuitabilityStep.Kind.CONSIDERATION_PERIOD and now < consideration_ends_at(check_record):
        raise SuitabilityError(
            "consideration_period_running",
            _("The consideration period ends at %(end)s.")
            % {
                "end": formats.date_format(
                    timezone.localtime(consideration_ends_at(check_record)), "SHORT_DATETIME_FORMAT"
                )
            },
        )
    try:
        with transaction.atomic():
            return SuitabilityStep.objects.create(
                check_record=check_record,
                kind=kind,
                done_at=now,
                reference=reference.strip(),
                note=note,
                recorded_by=user if getattr(user, "is_authenticated", False) else None,
                retain_until=retention_date(timezone.localdate(now)),
            )
    except IntegrityError as exc:  # recorded by someone else meanwhile (one per check and kind)
        raise SuitabilityError("already_recorded", _("This step is already recorded for the check.")) from exc


def record_confirmation(
    *,
    check_record: SuitabilityCheck,
    user: Any,
    reference: str = "",
    recording_reference: str = "",
    note: str = "",
    now: datetime.datetime | None = None,
) -> list[SuitabilityStep]:
    """The client confirmed in writing, after the special risk warning, that they buy a product
    that does not match them (art. 19). Records the warning (if not yet recorded), the
    confirmation with its reference (e.g. the signed form's number) and, where the check owes
    a recording (at a branch, art. 25), the recording with its reference — which is then
    required. Only a ``mismatch_confirmable`` check can be confirmed."""
    if check_record.outcome != SuitabilityCheck.Outcome.MISMATCH_CONFIRMABLE:
        raise SuitabilityError(
            "not_confirmable", _("Only a mismatch the client asked for can be confirmed; this check is not one.")
        )
    owed = outstanding_steps(check_record)
    if "client_confirmation" not in owed:
        raise SuitabilityError("already_recorded", _("The client's confirmation is already recorded."))
    if "dual_recording" in owed and check_record.channel == SuitabilityCheck.Channel.BRANCH and not recording_reference:
        raise SuitabilityError(
            "recording_reference_required",
            _("At a branch the warning and confirmation are recorded on audio/video: give the recording's reference."),
            fields={"recording_reference": [_("Give the reference of the audio/video recording.")]},
        )
    now = now or timezone.now()
    steps = []
    with transaction.atomic():
        if "special_warning" in owed:
            steps.append(record_step(check_record=check_record, kind="special_warning", user=user, note=note, now=now))
        if "dual_recording" in owed and recording_reference:
            steps.append(
                record_step(
                    check_record=check_record, kind="dual_recording", user=user, reference=recording_reference, now=now
                )
            )
        steps.append(
            record_step(
                check_record=check_record,
                kind="client_confirmation",
                user=user,
                reference=reference,
                note=note,
                now=now,
            )
        )
    return steps


# --- Investor classification ----------------------------------------------------------------


def _reason_records(reasons: Iterable[Reason]) -> list[dict[str, Any]]:
    return [reason.as_record() for reason in reasons]


def apply_for_professional_c(
    *, client: Client, facts: classes.InvestorFacts, evidence: str, user: Any, today: datetime.date | None = None
) -> InvestorClassification:
    """Record an ordinary investor's written application to be treated as professional (C),
    with the facts and the rules' view of them. Never approves anything by itself."""
    today = today or timezone.localdate()
    eligibility = classes.c_eligibility(facts)
    return InvestorClassification.objects.create(
        client=client,
        investor_type=classes.PROFESSIONAL_C,
        status=InvestorClassification.Status.APPLIED,
        evidence=evidence,
        facts=facts.as_dict(),
        reasons=_reason_records(eligibility.reasons),
        applied_on=today,
        retain_until=retention_date(today),
    )


def _facts_from(record: InvestorClassification) -> classes.InvestorFacts:
    values = dict(record.facts or {})
    kwargs: dict[str, Any] = {}
    for name, field in classes.InvestorFacts.__dataclass_fields__.items():
        if name in values:
            kwargs[name] = values[name] if field.type == "bool" else Decimal(values[name])
    return classes.InvestorFacts(**kwargs)


def decide_professional_c(
    *,
    application: InvestorClassification,
    approve: bool,
    user: Any,
    note: str = "",
    valid_until: datetime.date | None = None,
    today: datetime.date | None = None,
) -> InvestorClassification:
    """Approve or refuse an application to be treated as professional (C): a new record naming
    the application, who decided and when. An application whose facts do not meet the bar
    cannot be approved; one already decided cannot be decided again."""
    today = today or timezone.localdate()
    if application.status != InvestorClassification.Status.APPLIED or application.investor_type != "professional_c":
        raise SuitabilityError(
            "not_an_application", _("Only an application to be treated as professional C is decided here.")
        )
    with transaction.atomic():
        InvestorClassification.objects.select_for_update().filter(pk=application.pk).first()
        if application.decisions.exists():
            raise SuitabilityError("already_decided", _("This application has already been decided."))
        eligibility = classes.c_eligibility(_facts_from(application))
        if approve and not eligibility.eligible:
            raise SuitabilityError(
                "not_eligible",
                _("The application does not meet the bar for a professional investor (C)."),
                reasons=eligibility.reasons,
            )
        status = InvestorClassification.Status.APPROVED if approve else InvestorClassification.Status.REFUSED
        return InvestorClassification.objects.create(
            client_id=application.client_id,
            investor_type=classes.PROFESSIONAL_C,
            status=status,
            evidence=note,
            facts=application.facts,
            reasons=_reason_records(eligibility.reasons),
            application=application,
            applied_on=application.applied_on,
            decided_on=today,
            decided_by=user,
            valid_until=valid_until if approve else None,
            retain_until=retention_date(today),
        )


def treat_as_ordinary(
    *, client: Client, user: Any, evidence: str = "", today: datetime.date | None = None
) -> InvestorClassification:
    """A professional B (or C) investor asked to be treated as ordinary; class A may not."""
    today = today or timezone.localdate()
    current = investor_type_in_force(client, today, current_assessment(client))
    eligibility = classes.may_be_treated_as_ordinary(current)
    if not eligibility.eligible:
        raise SuitabilityError("not_allowed", eligibility.reasons[0].message(_language()), reasons=eligibility.reasons)
    return InvestorClassification.objects.create(
        client=client,
        investor_type=current,
        status=InvestorClassification.Status.APPROVED,
        treat_as_ordinary=True,
        evidence=evidence,
        reasons=_reason_records(eligibility.reasons),
        applied_on=today,
        decided_on=today,
        decided_by=user,
        retain_until=retention_date(today),
    )


# --- Drift ----------------------------------------------------------------------------------


def book_position_day(day: datetime.date | None = None) -> datetime.date | None:
    """The book's latest position day (up to ``day``): the trading system's last word on what is
    held. A day's positions file replaces that day whole, so a client without a row on it holds
    nothing, whatever they held before."""
    rows = Position.objects.all() if day is None else Position.objects.filter(as_of__lte=day)
    return rows.aggregate(day=Max("as_of"))["day"]


def _holdings(
    client_ids: Sequence[int] | None, product_ids: Sequence[int] | None, day: datetime.date | None = None
) -> list[Holding]:
    """The positions of the book's latest position day up to ``day`` (``book_position_day``),
    quantity above zero, summed over accounts per product — for the on-change paths (one
    client's new assessment, one product re-rated; the nightly run reads the whole book in
    ``suitability.drift``, from the same day)."""
    book_day = book_position_day(day)
    if book_day is None:
        return []
    rows = Position.objects.filter(as_of=book_day, quantity__gt=0)
    if client_ids is not None:
        rows = rows.filter(client_id__in=client_ids)
    if product_ids is not None:
        rows = rows.filter(product_id__in=product_ids)
    holdings = [
        # In cents: the sum of NUMERIC(18, 2), kept to the cent whatever scale it comes back with.
        Holding(client_id, product_id, value.quantize(CENT) if value else Decimal(0))
        for client_id, product_id, value in rows.order_by("client_id", "product_id")
        .values("client_id", "product_id")
        .annotate(value=Sum("market_value"))
        .values_list("client_id", "product_id", "value")
    ]
    return sorted(holdings, key=lambda holding: (holding.client_id, holding.product_id))


def _profiles(client_ids: Sequence[int], today: datetime.date) -> tuple[dict[int, InvestorProfile], dict[int, int]]:
    """Profiles of many clients in three queries (no access thresholds: drift ignores them),
    and each client's current assessment id."""
    latest: dict[int, RiskAssessment] = {}
    for assessment in RiskAssessment.objects.filter(client_id__in=client_ids).order_by(
        "client_id", "-assessed_at", "-pk"
    ):
        latest.setdefault(assessment.client_id, assessment)
    decided: dict[int, InvestorClassification] = {}
    for record in _decided_classifications(client_ids):
        decided.setdefault(record.client_id, record)
    profiles = {}
    for client in Client.objects.filter(pk__in=client_ids).only("pk", "birth_date", "client_type"):
        assessment = latest.get(client.pk)
        investor_type = _type_in_force(decided.get(client.pk), assessment.investor_type if assessment else "", today)
        profiles[client.pk] = _profile(client, assessment, investor_type, None)
    return profiles, {pk: a.pk for pk, a in latest.items()}


def _find_drift(
    client_ids: Sequence[int] | None, product_ids: Sequence[int] | None, today: datetime.date
) -> tuple[list[Drift], dict[int, int]]:
    holdings = _holdings(client_ids, product_ids, today)
    if not holdings:
        return [], {}
    holders = sorted({h.client_id for h in holdings})
    profiles, assessment_ids = _profiles(holders, today)
    products = {p.pk: product_profile(p) for p in Product.objects.filter(pk__in={h.product_id for h in holdings})}
    return drifted_holdings(profiles, products, holdings), assessment_ids


def find_drift(
    *, client_ids: Sequence[int] | None = None, product_ids: Sequence[int] | None = None, today: datetime.date
) -> list[Drift]:
    """Holdings (of these clients, or of these products, or all) that no longer match."""
    return _find_drift(client_ids, product_ids, today)[0]


# What a drift alert names of its product: its rating (the key) and its code (the title).
DRIFT_PRODUCT_FIELDS = ("pk", "code", "risk_level", "horizon", "variety", "professional_only")


def drift_rating(product: Mapping[str, Any]) -> str:
    """The part of a drift alert's key that names the product's rating: a re-rating is a new condition."""
    return f"{product['risk_level']}-{product['horizon']}-{product['variety']}-{int(product['professional_only'])}"


def drift_condition(product: Mapping[str, Any], assessment_id: int | None) -> str:
    """What a drift alert's key names besides its client: the product, the assessment in force
    and the product's rating — a new assessment or a re-rating is a new condition."""
    assessment = "-" if assessment_id is None else assessment_id
    return f"{product['pk']}|{assessment}|{drift_rating(product)}"


def drift_key(client_id: int, product: Mapping[str, Any], assessment_id: int | None) -> AlertKey:
    """A drift alert's key (``alerts.raising.AlertKey``, without a day: a condition is raised
    once, ever — a closed alert's key stays taken)."""
    return AlertKey(Alert.Kind.SUITABILITY_DRIFT, client_id, drift_condition(product, assessment_id))


@dataclass(frozen=True)
class DriftWording:
    """What a drift alert says about one decision (a product for a profile): the mismatched
    dimensions and the rules' reasons, stored with both their texts (``Reason.as_record``) —
    ``alerts.texts`` shows the reader's. Built once per decision and shared by every holding it
    covers (the nightly run has ~10⁵ of them)."""

    mismatched: list[str]
    reasons: list[dict[str, Any]]


def drift_wording(product_code: str, mismatched: Sequence[str], reasons: Sequence[Reason]) -> DriftWording:
    return DriftWording(mismatched=list(mismatched), reasons=_reason_records(reasons))


def drift_params(product: Mapping[str, Any], wording: DriftWording) -> dict[str, Any]:
    """The drift alert's parameters (``alerts.texts``): the product's code and the reasons."""
    return {"product_code": product["code"], "reasons": wording.reasons}


def drift_payload(product: Mapping[str, Any], market_value: Decimal, wording: DriftWording) -> dict[str, Any]:
    """The drift alert's details for the API (as before its words were rendered)."""
    return {
        "product": product["pk"],
        "product_code": product["code"],
        "product_level": product["risk_level"],
        "market_value": str(market_value),
        "mismatched": wording.mismatched,
        "reasons": wording.reasons,
    }


def drift_alert(
    *,
    client_id: int,
    advisor_id: int,
    product: Mapping[str, Any],
    key: AlertKey,
    market_value: Decimal,
    wording: DriftWording,
    today: datetime.date,
) -> NewAlert:
    """The ``suitability_drift`` alert for one holding, to raise; ``product`` holds
    ``DRIFT_PRODUCT_FIELDS``, ``wording`` what is said about its decision."""
    return NewAlert(
        key=key,
        advisor_id=advisor_id,
        severity=Alert.Severity.WARNING,
        params=drift_params(product, wording),
        payload=drift_payload(product, market_value, wording),
        due_on=today,
    )


def raise_drift_alerts(
    *, client_ids: Sequence[int] | None = None, product_ids: Sequence[int] | None = None, today: datetime.date
) -> int:
    """Raise a ``suitability_drift`` alert for the primary advisor of every holding that no
    longer matches, through ``alerts.raising``. The key names the condition — client, product,
    the assessment in force and the product's rating — so neither a rerun on the same day nor
    the nightly run after an on-change run raises it twice; a new assessment or re-rating is a
    new condition. Returns the number of alerts created. The on-change path (one client or
    product); the nightly run reads the whole book at once (``suitability.drift``)."""
    drifts, assessment_ids = _find_drift(client_ids, product_ids, today)
    if not drifts:
        return 0
    advisors = dict(
        Client.objects.filter(pk__in={d.holding.client_id for d in drifts}).values_list("pk", "primary_advisor_id")
    )
    products = {
        p["pk"]: p
        for p in Product.objects.filter(pk__in={d.holding.product_id for d in drifts}).values(*DRIFT_PRODUCT_FIELDS)
    }
    alerts = []
    for drift in drifts:
        client_id, product = drift.holding.client_id, products[drift.holding.product_id]
        if advisors[client_id] is None:
            continue
        alerts.append(
            drift_alert(
                client_id=client_id,
                advisor_id=advisors[client_id],
                product=product,
                key=drift_key(client_id, product, assessment_ids.get(client_id)),
                market_value=drift.holding.market_value,
                wording=drift_wording(product["code"], drift.mismatched, drift.reasons),
                today=today,
            )
        )
    return raise_alerts(alerts)


def nightly_drift(day: datetime.date, chunk_size: int = 2000) -> dict[str, int]:
    """The nightly run's drift step over the whole book, set-based (``suitability.drift``):
    a few queries in all, one decision per distinct (profile, product). ``chunk_size`` is the
    batch of dedupe keys looked up and of alerts inserted at a time. Idempotent — the dedupe
    keys name the condition. Returns the alerts raised, closed (the holding no longer drifts),
    kept, and the drifted holdings of clients without a primary advisor (unassigned)."""
    from suitability.drift import raise_book_drift  # it builds on this module

    return raise_book_drift(day, batch_size=chunk_size)


def product_rerated(product: Product, today: datetime.date | None = None) -> int:
    """After a product's rating changed (risk level, horizon, variety, professional-only):
    raise drift alerts for its holders at once."""
    return raise_drift_alerts(product_ids=[product.pk], today=today or timezone.localdate())
