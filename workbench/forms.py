from __future__ import annotations

from django import forms
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from advisors.models import Advisor, Assignment
from campaigns.models import CampaignTarget
from campaigns.outcomes import OUTCOME_CHOICES, PERMISSION, workable_targets
from clients.forms import InteractionForm
from clients.models import Client, Interaction
from core.access import CLIENT_FACING_ROLES
from core.choices import ContactChannel
from core.widgets import DateInput
from workbench.transfers import transferable_advisors


class AdvisorChoiceField(forms.ModelChoiceField):
    """An advisor chosen by code (the page's select posts codes, so does the API)."""

    def label_from_instance(self, advisor: Advisor) -> str:
        return f"{advisor.name} · {advisor.code}"


class TransferForm(forms.Form):
    """Move one client, or a whole book, to another advisor — among the advisors and clients the
    user may transfer (``workbench.transfers``): a team lead's team, a branch manager's branch.
    Anything outside is refused on its field."""

    class Scope:
        CLIENT = "client"
        BOOK = "book"

    scope = forms.ChoiceField(
        label=_("What moves"),
        choices=[(Scope.CLIENT, _("One client")), (Scope.BOOK, _("An advisor's whole book"))],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        initial=Scope.CLIENT,
    )
    client_no = forms.CharField(label=_("Client number"), max_length=32, required=False)
    from_advisor = AdvisorChoiceField(
        label=_("From advisor"),
        queryset=Advisor.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("Choose the advisor whose book moves"),
        error_messages={"invalid_choice": _("This advisor is not in your team or branch.")},
    )
    to_advisor = AdvisorChoiceField(
        label=_("To advisor"),
        queryset=Advisor.objects.none(),
        to_field_name="code",
        empty_label=_("Choose the advisor who takes the clients"),
        error_messages={"invalid_choice": _("This advisor is not in your team or branch, or cannot take clients.")},
    )
    # The reasons a person moves clients for; account opening and import are the system's own,
    # and no reason is chosen for the user (a default would be recorded unread).
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[("", _("Choose a reason"))]
        + [
            (value, label)
            for value, label in Assignment.Reason.choices
            if value not in (Assignment.Reason.ACCOUNT_OPENING, Assignment.Reason.IMPORT)
        ],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        advisors = transferable_advisors(user).order_by("code")
        # A leaver's book moves from an inactive advisor; only an active one who serves clients
        # (a client-facing role) takes them.
        self.fields["from_advisor"].queryset = advisors
        serving = Group.objects.filter(user=OuterRef("user_id"), name__in=CLIENT_FACING_ROLES)
        self.fields["to_advisor"].queryset = advisors.filter(Exists(serving), is_active=True, user__is_active=True)

    def clean_client_no(self) -> Client | None:
        """The client to move: one the user may change whose primary advisor is among theirs."""
        number = (self.cleaned_data.get("client_no") or "").strip()
        if not number:
            return None
        client = (
            Client.objects.visible_to(self.user, "change")
            .without_pii()
            .filter(client_no=number, primary_advisor__in=transferable_advisors(self.user).values("pk"))
            .first()
        )
        if client is None:
            raise ValidationError(_("No client with this number among the clients of your team or branch."))
        return client

    def clean(self):
        data = super().clean()
        if data.get("scope") == self.Scope.CLIENT and not data.get("client_no") and "client_no" not in self.errors:
            self.add_error("client_no", _("Give the client number of the client to move."))
        if data.get("scope") == self.Scope.BOOK and not data.get("from_advisor") and "from_advisor" not in self.errors:
            self.add_error("from_advisor", _("Choose the advisor whose book moves."))
        return data


class DoneForm(forms.Form):
    """Close an alert as done: the contact that handled it is logged in the same step."""

    channel = forms.ChoiceField(label=_("How"), choices=ContactChannel.choices, initial=ContactChannel.CALL)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Interaction.Outcome.choices)
    summary = forms.CharField(label=_("What was discussed"), widget=forms.Textarea(attrs={"rows": 2}), max_length=4000)
    next_follow_up_on = forms.DateField(label=_("Next follow-up"), required=False, widget=DateInput())


class DismissForm(forms.Form):
    reason = forms.CharField(label=_("Why no action is needed"), max_length=500)


class SnoozeForm(forms.Form):
    until = forms.DateField(label=_("Snooze until"), widget=DateInput())


class CampaignField(forms.TypedChoiceField):
    """A campaign id: the choices offered are the workable targets, but any id is passed on to
    ``clean_campaign``, so a target that may not be worked is refused with its reason."""

    def valid_value(self, value) -> bool:
        return True


class ContactForm(InteractionForm):
    """The client page's *Log a contact*, with the client's open campaign targets: choosing a
    campaign records the contact against it, and its outcome (contacted / interested /
    declined / unreachable) sets the target's status and the interaction's outcome.

    The choices are the client's targets ``user`` may work (``campaigns.outcomes``); a posted
    campaign the client has any target in is passed on, so a target that may not be worked
    (control group, campaign not running) is refused by the service with its reason, on the
    field.
    """

    campaign = CampaignField(label=_("Campaign"), required=False, coerce=int, empty_value=None)
    campaign_outcome = forms.ChoiceField(
        label=_("Campaign outcome"), required=False, choices=[("", "—"), *OUTCOME_CHOICES]
    )

    field_order = ["campaign", "campaign_outcome", "channel", "outcome", "summary", "products", "next_follow_up_on"]

    def __init__(self, *args, client, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client
        self.user = user
        self.targets = list(workable_targets(client, user))
        if not user.has_perm(PERMISSION) or not (self.targets or self.is_bound):
            # Nothing to work (or no right to): the form is the plain one.
            del self.fields["campaign"], self.fields["campaign_outcome"]
            return
        self.fields["campaign"].choices = [("", _("None"))] + [
            (target.campaign_id, self._label(target)) for target in self.targets
        ]
        self.fields["outcome"].required = False
        self.fields["outcome"].help_text = _("With a campaign, its outcome decides this.")

    @staticmethod
    def _label(target: CampaignTarget) -> str:
        product = target.campaign.product
        return f"{target.campaign.name} · {product.name} ({product.code})" if product else target.campaign.name

    def clean_campaign(self):
        """The target of the chosen campaign for this client (any target in the user's scope:
        the service decides whether it may be worked and says why not)."""
        campaign_id = self.cleaned_data.get("campaign")
        if campaign_id is None:
            return None
        target = next((target for target in self.targets if target.campaign_id == campaign_id), None)
        if target is None:
            target = (
                CampaignTarget.objects.visible_to(self.user)
                .filter(client=self.client, campaign_id=campaign_id)
                .select_related("campaign")
                .first()
            )
        if target is None:
            raise ValidationError(_("This client is not a target of that campaign."), code="invalid_choice")
        return target

    def clean(self):
        data = super().clean()
        if "campaign" not in self.fields:
            return data
        if data.get("campaign") is not None:
            if not data.get("campaign_outcome"):
                self.add_error("campaign_outcome", _("Choose what came of the contact for the campaign."))
        elif not data.get("outcome") and "outcome" not in self.errors:
            self.add_error("outcome", _("Choose an outcome."))
        return data
