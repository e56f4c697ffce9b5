"""An advisor logs a contact's outcome against a campaign: the service
(``campaigns.outcomes.log_campaign_contact``) and the client page's *Log a contact* form, which
offers the client's open targets and shows a refusal on the campaign field, keeping the input."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from campaigns.models import Campaign, CampaignTarget
from campaigns.outcomes import log_campaign_contact
from clients.models import Client, Interaction
from tests import factories
from tests.client_page import card_urls, whole_client_page

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Messages read in English (the site's default is Chinese); pages set their own cookie."""
    with translation.override("en"):
        yield


def campaign(tree, code: str, status: str = Campaign.Status.ACTIVE, product=None) -> Campaign:
    today = timezone.localdate()
    return Campaign.objects.create(
        code=code,
        name=f"Campaign {code}",
        org_unit=tree["b1"],
        product=product,
        starts_on=today - datetime.timedelta(days=5),
        ends_on=today + datetime.timedelta(days=25),
        status=status,
    )


def target(campaign: Campaign, client: Client, advisor, **fields) -> CampaignTarget:
    return CampaignTarget.objects.create(campaign=campaign, client=client, advisor=advisor, **fields)


def user_of(advisor):
    return get_user_model().objects.get(pk=advisor.user_id)


def sign_in(http, advisor) -> None:
    """Signed in as ``advisor``'s user, reading the pages in English."""
    http.force_login(user_of(advisor))
    http.cookies["django_language"] = "en"


@pytest.fixture
def book(world):
    """The advisor's client (risk level C3) targeted by a running campaign, held out as control
    in another, and targeted by a finished one."""
    cast, clients = world
    mine = clients["mine"]
    Client.objects.filter(pk=mine.pk).update(risk_level="C3")
    mine.refresh_from_db()
    product = factories.ProductFactory(code="BOND-1", name="稳健债券一号")
    running = campaign(cast.tree, "RUN", product=product)
    held_out = campaign(cast.tree, "CTRL")
    finished = campaign(cast.tree, "DONE", status=Campaign.Status.FINISHED)
    return {
        "cast": cast,
        "clients": clients,
        "mine": mine,
        "worked": target(running, mine, cast.advisor, score=0.8, reasons=[{"code": "tier", "params": {"tier": "hnw"}}]),
        "control": target(held_out, mine, cast.advisor, score=0.9, control=True),
        "finished": target(finished, mine, cast.advisor, score=0.5),
        "running": running,
    }


# --- The service ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "interaction_outcome"),
    [
        ("contacted", Interaction.Outcome.REACHED),
        ("interested", Interaction.Outcome.INTERESTED),
        ("declined", Interaction.Outcome.NOT_INTERESTED),
        ("unreachable", Interaction.Outcome.NO_ANSWER),
    ],
)
def test_an_outcome_sets_the_target_and_records_the_contact_against_the_campaign_with_the_risk_level(
    book, outcome, interaction_outcome
):
    worked = book["worked"]
    interaction = log_campaign_contact(
        target=worked,
        client=book["mine"],
        by=user_of(book["cast"].advisor),
        channel="call",
        summary="Talked about the bond fund",
        outcome=outcome,
    )
    worked.refresh_from_db()
    assert worked.status == outcome
    assert worked.contacted_at == interaction.occurred_at
    assert interaction.campaign_id == book["running"].pk
    assert interaction.outcome == interaction_outcome
    assert interaction.client_risk_level == "C3"
    assert interaction.client_id == book["mine"].pk


def test_a_control_target_is_refused_on_the_campaign_field_and_nothing_is_recorded(book):
    before = Interaction.objects.count()
    with pytest.raises(ValidationError) as refused:
        log_campaign_contact(
            target=book["control"],
            client=book["mine"],
            by=user_of(book["cast"].advisor),
            channel="call",
            summary="x",
            outcome="interested",
        )
    # Refused as no target at all: the message does not reveal the control group.
    assert refused.value.message_dict["campaign"] == ["This client is not a target of that campaign."]
    assert Interaction.objects.count() == before
    book["control"].refresh_from_db()
    assert book["control"].status == "pending" and book["control"].contacted_at is None


@pytest.mark.parametrize("status", [Campaign.Status.FINISHED, Campaign.Status.DRAFT, Campaign.Status.CANCELLED])
def test_a_target_of_a_campaign_that_is_not_running_is_refused(book, status):
    Campaign.objects.filter(pk=book["running"].pk).update(status=status)
    with pytest.raises(ValidationError) as refused:
        log_campaign_contact(
            target=book["worked"],
            client=book["mine"],
            by=user_of(book["cast"].advisor),
            channel="call",
            summary="x",
            outcome="contacted",
        )
    assert "not running" in refused.value.message_dict["campaign"][0]
    book["worked"].refresh_from_db()
    assert book["worked"].status == "pending"


def test_a_target_of_another_client_is_refused(book):
    cast, clients = book["cast"], book["clients"]
    theirs = target(book["running"], clients["colleagues"], cast.colleague)
    with pytest.raises(ValidationError) as refused:
        log_campaign_contact(
            target=theirs,
            client=book["mine"],
            by=user_of(cast.advisor),
            channel="call",
            summary="x",
            outcome="contacted",
        )
    assert "another client" in refused.value.message_dict["campaign"][0]


def test_an_unknown_outcome_is_refused_on_its_field(book):
    with pytest.raises(ValidationError) as refused:
        log_campaign_contact(
            target=book["worked"],
            client=book["mine"],
            by=user_of(book["cast"].advisor),
            channel="call",
            summary="x",
            outcome="converted",
        )
    assert "campaign_outcome" in refused.value.message_dict


def test_a_user_who_may_not_change_campaign_targets_is_refused(book):
    with pytest.raises(PermissionDenied):
        log_campaign_contact(
            target=book["worked"],
            client=book["mine"],
            by=user_of(book["cast"].no_role),
            channel="call",
            summary="x",
            outcome="contacted",
        )
    book["worked"].refresh_from_db()
    assert book["worked"].status == "pending"


# --- The client page -----------------------------------------------------------------------------


def test_the_client_page_shows_worked_targets_with_reasons_and_suitability_but_never_a_control_target(book, client):
    sign_in(client, book["cast"].advisor)
    CampaignTarget.objects.filter(pk=book["worked"].pk).update(requires=["dual_recording"])
    page = whole_client_page(client, book["mine"].pk)  # the campaigns card is fetched when in view
    block = page[page.index('data-testid="campaign-targets"') :]
    block = block[: block.index("</ul>")]
    assert "Campaign RUN" in block and "稳健债券一号" in block and "BOND-1" in block
    assert "High net worth client" in block  # the reason in words
    assert "Match" in block and "Audio/video recording" in block  # the gate's result, steps owed
    assert "Campaign DONE" in block  # finished campaigns stay on the record
    assert "Campaign CTRL" not in page  # neither in the block nor among the form's choices
    options = re.findall(r'<option value="(\d+)"', page[page.index('name="campaign"') :].split("</select>")[0])
    assert options == [str(book["running"].pk)]  # only the open target of a running campaign


def test_a_manager_does_not_see_a_control_target_either(book, client):
    sign_in(client, book["cast"].manager)
    page = whole_client_page(client, book["mine"].pk)  # the cards and the contact form included
    assert "Campaign RUN" in page and "Campaign CTRL" not in page


def test_the_log_outcome_link_opens_the_form_with_the_campaign_chosen(book, client):
    sign_in(client, book["cast"].advisor)
    url = reverse("clients:detail", args=[book["mine"].pk]) + f"?campaign={book['running'].pk}"
    page = client.get(url).content.decode()
    assert re.search(r'<details class="mb-3" id="log-contact" open>', page)
    assert f'<option value="{book["running"].pk}" selected>' in page


@pytest.mark.parametrize("value", ["abc", "-1", "99999999", "1" * 40, ""])
def test_a_log_outcome_link_with_an_unusable_campaign_opens_the_page_with_none_chosen(book, client, value):
    sign_in(client, book["cast"].advisor)
    response = client.get(reverse("clients:detail", args=[book["mine"].pk]), {"campaign": value})
    assert response.status_code == 200
    page = response.content.decode()
    if not value:  # no campaign: the form is not in the page but fetched when its fold is opened
        [form_url] = [url for url in card_urls(page) if "/sections/" not in url]
        page = client.get(form_url, HTTP_HX_REQUEST="true").content.decode()
    select = page.split('name="campaign"')[1].split("</select>")[0]
    assert not re.search(r'<option value="\d+" selected>', select)


def _post(client, book, **fields):
    data = {"channel": "call", "summary": "Interested in the bond fund", **fields}
    return client.post(reverse("clients:log-contact", args=[book["mine"].pk]), data)


def test_logging_a_contact_with_a_campaign_sets_the_targets_status(book, client):
    sign_in(client, book["cast"].advisor)
    response = _post(client, book, campaign=book["running"].pk, campaign_outcome="interested")
    assert response.status_code == 302
    book["worked"].refresh_from_db()
    assert book["worked"].status == "interested" and book["worked"].contacted_at is not None
    interaction = Interaction.objects.get(campaign=book["running"])
    assert interaction.outcome == "interested" and interaction.client_risk_level == "C3"
    page = whole_client_page(client, book["mine"].pk)
    assert '<span class="badge text-bg-light">Campaign RUN</span>' in page  # the contact names its campaign


def test_a_control_target_posted_to_the_form_is_refused_on_the_campaign_field_keeping_the_input(book, client):
    sign_in(client, book["cast"].advisor)
    response = _post(client, book, campaign=Campaign.objects.get(code="CTRL").pk, campaign_outcome="interested")
    assert response.status_code == 400
    page = response.content.decode()
    field = page[page.index('name="campaign"') :]
    shown = field[: field.index("</div>", field.index("</select>")) + 200]
    assert "This client is not a target of that campaign." in shown and "control" not in shown.lower()
    assert "Interested in the bond fund" in page  # the input is kept
    book["control"].refresh_from_db()
    assert book["control"].status == "pending"
    assert not Interaction.objects.filter(summary="Interested in the bond fund").exists()


def test_a_finished_campaign_posted_to_the_form_is_refused(book, client):
    sign_in(client, book["cast"].advisor)
    response = _post(client, book, campaign=Campaign.objects.get(code="DONE").pk, campaign_outcome="contacted")
    assert response.status_code == 400
    assert "not running" in response.content.decode()
    book["finished"].refresh_from_db()
    assert book["finished"].status == "pending"


def test_a_campaign_without_its_outcome_is_refused_on_the_outcome_field(book, client):
    sign_in(client, book["cast"].advisor)
    response = _post(client, book, campaign=book["running"].pk)
    assert response.status_code == 400
    assert "Choose what came of the contact for the campaign." in response.content.decode()
    book["worked"].refresh_from_db()
    assert book["worked"].status == "pending"


@pytest.mark.parametrize("value", ["abc", "99999999", "-1", "1e9"])
def test_a_campaign_the_client_is_not_in_is_a_field_error_not_a_crash(book, client, value):
    sign_in(client, book["cast"].advisor)
    response = _post(client, book, campaign=value, campaign_outcome="contacted")
    assert response.status_code == 400
    assert "invalid-feedback d-block" in response.content.decode()


def test_a_contact_without_a_campaign_still_needs_its_outcome_and_is_logged_as_before(book, client):
    sign_in(client, book["cast"].advisor)
    assert _post(client, book).status_code == 400
    assert _post(client, book, outcome="reached").status_code == 302
    assert Interaction.objects.filter(summary="Interested in the bond fund", campaign__isnull=True).count() == 1
    book["worked"].refresh_from_db()
    assert book["worked"].status == "pending"


def test_another_advisors_client_cannot_be_worked_through_the_form(book, client):
    cast, clients = book["cast"], book["clients"]
    theirs = target(book["running"], clients["elsewhere"], cast.other_advisor)
    sign_in(client, cast.advisor)
    url = reverse("clients:log-contact", args=[clients["elsewhere"].pk])
    response = client.post(
        url, {"channel": "call", "summary": "x", "campaign": book["running"].pk, "campaign_outcome": "contacted"}
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "pending"
