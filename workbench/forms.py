from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from advisors.models import Advisor, Assignment
from campaigns.models import CampaignTarget
from campaigns.outcomes import OUTCOME_CHOICES, PERMISSION, workable_targets
from clients.forms import InteractionForm
from clients.models import Client, Interaction
from core.choices import ContactChannel
from core.widgets import DateInput
from workbench.transfers import (
    NOTE_MAX_LENGTH,
    TransferPreview,
    TransferResult,
    preview_transfer,
    reason_errors,
    taking_advisors,
    transfer_book,
    transfer_clients,
    transferable_advisors,
)


class AdvisorChoiceField(forms.ModelChoiceField):
    """An advisor chosen by code (the page's select posts codes, so does the API)."""

    def label_from_instance(self, advisor: Advisor) -> str:
        return f"{advisor.name} · {advisor.code}"


class TakingAdvisorField(AdvisorChoiceField):
    """The advisor who takes the clients: offered among the active advisors in the user's scope
    who serve clients; a code in the scope that may not take clients is refused with the reason
    (inactive, or no client-facing role) rather than as an unknown choice."""

    scope = Advisor.objects.none()

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as error:
            if error.code != "invalid_choice":
                raise
            advisor = self.scope.filter(code=value).select_related("user").first()
            if advisor is not None and not (advisor.is_active and advisor.user.is_active):
                raise ValidationError(_("This advisor is inactive and cannot take clients."), code="inactive") from None
            if advisor is not None:
                raise ValidationError(_("This person serves no clients and cannot take any."), code="no_book") from None
            raise


#: Client numbers are written one after another, separated by spaces, commas or new lines
#: (ASCII or full-width), as they are pasted from a list or a spreadsheet.
CLIENT_NUMBER_SEPARATORS = re.compile(r"[\s,，;；、]+")
#: How many clients one transfer form names at most (a whole book moves by its advisor).
MAX_NAMED_CLIENTS = 200


class TransferForm(forms.Form):
    """Move one or several clients, or a whole book, to another advisor — among the advisors and
    clients the user may transfer (``workbench.transfers``): a team lead's team, a branch
    manager's branch. Anything outside is refused on its field.

    Posted once, the form is previewed (``preview()``: nothing is written); posted again with
    ``confirm`` and the preview's ``fingerprint``, it is re-validated and made."""

    class Scope:
        CLIENT = "client"
        BOOK = "book"

    scope = forms.ChoiceField(
        label=_("What moves"),
        choices=[(Scope.CLIENT, _("One or several clients")), (Scope.BOOK, _("An advisor's whole book"))],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        initial=Scope.CLIENT,
    )
    client_no = forms.CharField(
        label=_("Clients"),
        max_length=4000,
        required=False,
        help_text=_("Type a name, pinyin or client number and pick from the list; several clients may be chosen."),
    )
    from_advisor = AdvisorChoiceField(
        label=_("From advisor"),
        queryset=Advisor.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("Choose the advisor whose book moves"),
        error_messages={"invalid_choice": _("This advisor is not in your team or branch.")},
    )
    to_advisor = TakingAdvisorField(
        label=_("To advisor"),
        queryset=Advisor.objects.none(),
        to_field_name="code",
        empty_label=_("Choose the advisor who takes the clients"),
        error_messages={"invalid_choice": _("This advisor is not in your team or branch, or cannot take clients.")},
    )
    # The reasons a person moves clients for (advisors.Assignment.CHOSEN_REASONS); account
    # opening and import are the system's own, and no reason is chosen for the user (a default
    # would be recorded unread).
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[("", _("Choose a reason"))] + [(value, value.label) for value in Assignment.CHOSEN_REASONS],
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        help_text=_("Kept with the new assignment; needed when the reason is “Other”."),
    )
    # The preview's fingerprint, carried by the confirmation (see transfers.TransferPreview).
    fingerprint = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        advisors = transferable_advisors(user).order_by("code")
        # A leaver's book moves from an inactive advisor; only an active one who serves clients
        # (a client-facing role) takes them.
        self.fields["from_advisor"].queryset = advisors
        self.fields["to_advisor"].queryset = taking_advisors(user).order_by("code")
        self.fields["to_advisor"].scope = advisors
        # Type-ahead pickers (static/js/picker.js) over the scoped search; without JavaScript
        # the selects list the advisors of the team or branch.
        search = reverse("transfer-advisor-search")
        for name, url in (("from_advisor", search), ("to_advisor", f"{search}?taking=1")):
            self.fields[name].widget.attrs.update(
                {
                    "data-picker": True,
                    "data-picker-server-match": True,
                    "data-picker-url": url,
                    "data-picker-placeholder": _("Type a name, pinyin or advisor code"),
                    "data-picker-no-results": _("No advisor of your team or branch matches"),
                }
            )

    @staticmethod
    def client_numbers(text: str) -> list[str]:
        """The client numbers written in ``text``, each once, in the order written."""
        return list(dict.fromkeys(number for number in CLIENT_NUMBER_SEPARATORS.split(text or "") if number))

    def clean_client_no(self) -> list[Client]:
        """The clients to move: ones the user may change whose primary advisor is among theirs,
        read in one query whatever their number."""
        numbers = self.client_numbers(self.cleaned_data.get("client_no", ""))
        if not numbers:
            return []
        if len(numbers) > MAX_NAMED_CLIENTS:
            raise ValidationError(
                _("Name at most %(limit)d clients; to move a whole book, choose its advisor.")
                % {"limit": MAX_NAMED_CLIENTS}
            )
        found = {
            client.client_no: client
            for client in Client.objects.visible_to(self.user, "change")
            .without_pii()
            .filter(client_no__in=numbers, primary_advisor__in=transferable_advisors(self.user).values("pk"))
            .select_related("primary_advisor")
        }
        missing = [number for number in numbers if number not in found]
        if len(missing) == 1 and len(numbers) == 1:
            raise ValidationError(_("No client with this number among the clients of your team or branch."))
        if missing:
            raise ValidationError(
                _("No client with these numbers among the clients of your team or branch: %(numbers)s.")
                % {"numbers": ", ".join(missing)}
            )
        return [found[number] for number in numbers]

    def clean(self):
        data = super().clean()
        scope, target = data.get("scope"), data.get("to_advisor")
        if scope == self.Scope.CLIENT and "client_no" not in self.errors:
            clients = data.get("client_no") or []
            if not clients:
                self.add_error("client_no", _("Choose the clients to move."))
            elif target is not None:
                theirs = [client.client_no for client in clients if client.primary_advisor_id == target.pk]
                if theirs:
                    self.add_error(
                        "client_no",
                        _("Already served by %(advisor)s: %(numbers)s.")
                        % {"advisor": target.name, "numbers": ", ".join(theirs)},
                    )
        if scope == self.Scope.BOOK and "from_advisor" not in self.errors:
            source = data.get("from_advisor")
            if source is None:
                self.add_error("from_advisor", _("Choose the advisor whose book moves."))
            elif target is not None and source.pk == target.pk:
                self.add_error("to_advisor", _("Choose another advisor than the one whose book moves."))
        if "reason" not in self.errors and "note" not in self.errors:
            for name, message in reason_errors(data.get("reason", ""), data.get("note", "")).items():
                self.add_error(name, message)
        return data

    # --- What the view does with a valid form ---

    def preview(self) -> TransferPreview:
        """What this transfer would move (nothing is written)."""
        data = self.cleaned_data
        if data["scope"] == self.Scope.CLIENT:
            return preview_transfer(by=self.user, to_advisor=data["to_advisor"], clients=data["client_no"])
        return preview_transfer(by=self.user, to_advisor=data["to_advisor"], from_advisor=data["from_advisor"])

    def transfer(self, preview: TransferPreview) -> TransferResult:
        """Make the transfer that ``preview`` showed."""
        data = self.cleaned_data
        common = {"to_advisor": data["to_advisor"], "reason": data["reason"], "note": data["note"], "by": self.user}
        if data["scope"] == self.Scope.CLIENT:
            return transfer_clients(clients=[client.pk for client in data["client_no"]], **common)
        return transfer_book(from_advisor=data["from_advisor"], **common)

    def chosen_clients(self) -> list[dict]:
        """The clients written in the field, for the picker to show by name: those found in the
        user's scope with their names, any other number as written (its error says why)."""
        numbers = self.client_numbers(self["client_no"].value() or "")[:MAX_NAMED_CLIENTS]
        if not numbers:
            return []
        names = dict(
            Client.objects.visible_to(self.user, "change")
            .without_pii()
            .filter(client_no__in=numbers)
            .values_list("client_no", "name")
        )
        return [
            {"id": number, "label": f"{names[number]} · {number}" if number in names else number} for number in numbers
        ]


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
        chose_one = self.is_bound and bool(self.data.get(self.add_prefix("campaign")))
        if not user.has_perm(PERMISSION) or not (self.targets or chose_one):
            # Nothing to work (or no right to): the form is the plain one. A form sent with a
            # campaign keeps the field, so a campaign no longer workable is refused on it.
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
