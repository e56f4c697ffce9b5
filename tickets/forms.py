"""Forms of the ticket pages. They collect and check input; the rules are in
``tickets.workflow`` / ``tickets.routing`` / ``tickets.attachments`` and their errors come back on
the fields they name (``clients.forms.apply_service_errors``). Every form that changes a ticket
carries the ``version`` the user saw."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from clients.models import Client
from core.names import user_name
from tickets import routing, workflow
from tickets.models import DESCRIPTION_MAX_LENGTH, Priority, Ticket, TicketKind


class KindChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: TicketKind) -> str:
        return obj.label


class TicketForm(forms.Form):
    client = forms.ModelChoiceField(label=_("Client"), queryset=Client.objects.none(), widget=forms.HiddenInput)
    kind = KindChoiceField(label=_("Kind"), queryset=TicketKind.objects.filter(is_active=True))
    channel = forms.ChoiceField(label=_("Channel"), choices=Ticket.Channel.choices)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    priority = forms.ChoiceField(
        label=_("Priority"),
        required=False,
        choices=[("", _("From the SLA policy")), *Priority.choices],
        help_text=_("Leave empty to use the priority of the kind and the client's tier."),
    )
    priority_override_reason = forms.CharField(label=_("Reason for another priority"), max_length=300, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.visible_to(user, "change")


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, ticket: Ticket, user, **kwargs):
        self.ticket, self.user = ticket, user
        kwargs.setdefault("initial", {}).setdefault("version", ticket.version)
        super().__init__(*args, **kwargs)


class TransitionForm(VersionedForm):
    to = forms.ChoiceField(label=_("Move to"), choices=Ticket.Status.choices)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when resolving or reopening."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        moves = workflow.allowed_moves(self.ticket.status)
        self.fields["to"].choices = [(s, label) for s, label in Ticket.Status.choices if s in moves]


class AssignForm(VersionedForm):
    assignee = forms.ModelChoiceField(
        label=_("Assign to"),
        queryset=get_user_model().objects.none(),
        # The choices are the people the user may hand this ticket to (``routing.assignable_users``).
        error_messages={
            "invalid_choice": _(
                "You can assign this ticket only to someone of your team or branch who serves the client."
            )
        },
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        people = routing.assignable_users(self.ticket, self.user)
        self.fields["assignee"].queryset = get_user_model().objects.filter(pk__in=[u.pk for u in people])
        self.fields["assignee"].label_from_instance = lambda user: user_name(user)


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    internal = forms.BooleanField(
        label=_("Internal (staff only)"),
        required=False,
        initial=True,
        help_text=_("Untick for a comment the client may see; it counts as a response."),
    )

    def __init__(self, *args, ticket: Ticket | None = None, user=None, **kwargs):
        super().__init__(*args, **kwargs)


class PriorityForm(VersionedForm):
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    priority_override_reason = forms.CharField(label=_("Reason"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["priority"].initial = self.ticket.priority
        self.fields["priority_override_reason"].initial = self.ticket.priority_override_reason


class SatisfactionForm(VersionedForm):
    score = forms.TypedChoiceField(
        label=_("Satisfaction"),
        coerce=int,
        choices=[(n, str(n)) for n in range(1, 6)],
        widget=forms.RadioSelect,
        help_text=_("1 = very dissatisfied, 5 = very satisfied."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("File"))

    def __init__(self, *args, ticket: Ticket | None = None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
