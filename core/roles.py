"""The five roles (Django groups) and the model permissions each holds.

Model permissions say what a role may do to a kind of record at all; *which* records (whose
clients) is decided separately by the access layer. Operations staff reach the Django admin
(their users are ``is_staff``); everyone else works in the workbench and the API.

``sync_roles`` is idempotent and sets each group's permissions to exactly this table. It runs
from a data migration; when this table changes, add a migration that calls it again.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ADVISOR = "advisor"
TEAM_LEAD = "team_lead"
BRANCH_MANAGER = "branch_manager"
COMPLIANCE = "compliance"
OPS = "ops"
ROLE_NAMES = (ADVISOR, TEAM_LEAD, BRANCH_MANAGER, COMPLIANCE, OPS)
# Security administration: grants the privileged roles below, resets privileged users'
# passwords, revokes other people's API tokens. Not a role of the org tree (the extract's
# ``advisors.csv`` never names it, and setting a user's role leaves it alone); given in the admin.
SECURITY_ADMIN = "security_admin"
SECURITY_PERMISSION = "crm.administer_security"
# A group whose permissions include one of these is privileged: only a security admin may add a
# user to it or take one out, or reset the password of a user who belongs to one.
PRIVILEGED_PERMISSIONS = ("clients.view_pii", SECURITY_PERMISSION)
# The roles by name in the reader's language: the group names are codes (the extract's
# ``advisors.csv`` names them), shown to people through these labels.
ROLE_LABELS = {
    ADVISOR: _("Advisor"),
    TEAM_LEAD: _("Team lead"),
    BRANCH_MANAGER: _("Branch manager"),
    COMPLIANCE: _("Compliance officer"),
    OPS: _("Operations"),
    SECURITY_ADMIN: _("Security administrator"),
}


def role_label(name: str) -> str:
    """A group's name as people read it: the role's label, or the name of a group ops made."""
    return str(ROLE_LABELS.get(name, name))


# Roles whose users work in the Django admin (``is_staff``): operations edit, compliance reads.
ADMIN_ROLES = (COMPLIANCE, OPS)

# Records coming from the trading system: people read them, only imports write them.
_TRADING_FACTS = [
    "clients.account",
    "clients.position",
    "clients.cashbalance",
    "clients.transaction",
    "clients.cashflow",
    "clients.assetsnapshot",
    "clients.segmentchange",
]
_REFERENCE = [
    "products.product",
    "advisors.orgunit",
    "advisors.advisor",
    "clients.tierpolicy",
    "tickets.ticketkind",
    "tickets.slapolicy",
    "suitability.questionnaire",
    "suitability.question",
    "suitability.choice",
    "suitability.scoreband",
    "crm.tradingholiday",
]


def _view(models: list[str]) -> list[str]:
    return [f"{m.split('.')[0]}.view_{m.split('.')[1]}" for m in models]


def _crud(model: str, actions: str = "view add change delete") -> list[str]:
    app, name = model.split(".")
    return [f"{app}.{action}_{name}" for action in actions.split()]


_ADVISOR_PERMS = [
    *_crud("clients.client", "view add change"),
    *_crud("clients.relationship", "view add change delete"),
    *_crud("clients.interaction", "view add change"),
    *_view(_TRADING_FACTS),
    *_view(_REFERENCE),
    "advisors.view_assignment",
    *_crud("alerts.alert", "view change"),
    *_crud("suitability.riskassessment", "view add"),
    *_crud("suitability.investorclassification", "view add"),
    *_crud("suitability.suitabilitycheck", "view add"),
    *_crud("suitability.suitabilitystep", "view add"),
    *_crud("tickets.ticket", "view add change"),
    *_crud("tickets.ticketevent", "view add"),
    *_crud("tickets.ticketattachment", "view add"),
    *_crud("clients.segment", "view add change delete"),
    "campaigns.view_campaign",
    *_crud("campaigns.campaigntarget", "view change"),
    "reports.view_report",  # an advisor's own figures; managers their subtree (reports.scope)
]

_TEAM_LEAD_PERMS = [
    *_ADVISOR_PERMS,
    "advisors.add_assignment",  # share a client inside the team
    "advisors.change_assignment",
    "campaigns.view_campaignexclusion",
]

_BRANCH_MANAGER_PERMS = [
    *_TEAM_LEAD_PERMS,
    # Campaigns are run by a branch (or head office): a team lead works them, not creates them.
    *_crud("campaigns.campaign", "view add change"),
    *_crud("campaigns.campaigntarget", "view add change"),
    "clients.view_pii",
    "suitability.change_investorclassification",  # approve professional-C applications
]

_COMPLIANCE_PERMS = [
    "clients.view_client",
    "clients.view_pii",
    "clients.view_relationship",
    "clients.view_interaction",
    *_view(_TRADING_FACTS),
    *_view(_REFERENCE),
    "advisors.view_assignment",
    "alerts.view_alert",
    "suitability.view_riskassessment",
    "suitability.view_investorclassification",
    "suitability.view_suitabilitycheck",
    "suitability.view_suitabilitystep",
    "tickets.view_ticket",
    "tickets.view_ticketevent",
    "tickets.view_ticketattachment",
    "clients.view_segment",
    "campaigns.view_campaign",
    "campaigns.view_campaigntarget",
    "campaigns.view_campaignexclusion",
    "crm.view_importbatch",
    "crm.view_accesslog",
    "crm.view_threshold",
    "clients.view_clientshare",
    "auditlog.view_logentry",
    "reports.view_report",
    # The compliance workbench's sampling reviews (compliance/models.py): written, never edited.
    "compliance.view_checkreview",
    "compliance.add_checkreview",
]

_OPS_PERMS = [
    # Master data and configuration: full control.
    *[p for m in _REFERENCE for p in _crud(m)],
    *_crud("clients.client", "view add change"),
    *_crud("clients.relationship"),
    *_crud("clients.account", "view add change"),
    *_view(_TRADING_FACTS[1:]),
    *_crud("advisors.assignment", "view add change"),
    *_crud("alerts.alert", "view change"),
    "clients.view_interaction",
    "suitability.view_riskassessment",
    "suitability.view_investorclassification",
    "suitability.view_suitabilitycheck",
    "suitability.view_suitabilitystep",
    "compliance.view_checkreview",
    *_crud("tickets.ticket", "view change"),
    "tickets.view_ticketevent",
    "tickets.view_ticketattachment",
    *_crud("clients.segment"),
    *_crud("campaigns.campaign"),
    *_crud("campaigns.campaigntarget"),
    "campaigns.view_campaignexclusion",
    # Users, roles, schedules and the import trail.
    *_crud("auth.user", "view add change"),
    "auth.view_group",
    *_crud("django_celery_beat.periodictask"),
    *_crud("django_celery_beat.crontabschedule"),
    *_crud("django_celery_beat.intervalschedule"),
    *_crud("django_celery_beat.clockedschedule"),
    *_crud("django_celery_beat.solarschedule"),
    "crm.view_importbatch",
    "crm.view_accesslog",
    "clients.view_clientshare",
    "auditlog.view_logentry",
    # The extract's code map (imports.code_maps): their counter system's codes → ours.
    *_crud("imports.codemap"),
    # Extract uploads in the browser (/imports/, imports.uploads): upload, dry run, confirm.
    *_crud("imports.extractupload", "view add"),
    # Business thresholds (core/thresholds.py): one row each, edited, never added or deleted.
    *_crud("crm.threshold", "view change"),
    # The nightly runs' records (each step's time, counts, errors); the kept churn models stay
    # with superusers (a fitted estimator is code to unpickle, not a record to browse).
    *_view(["nightly.nightlyrun", "nightly.nightlychunk"]),
    # The report aggregates the nightly run builds (read-only in the admin).
    *_view(["reports.reportday", "reports.advisorday", "reports.segmentday", "reports.segmentmoveday"]),
    *_view(["reports.ticketday", "reports.clientexit"]),
    # Sign-in lockouts (django-axes): see who is locked out and unlock them by deleting the
    # attempt. The access and failure logs stay with superusers.
    "axes.view_accessattempt",
    "axes.delete_accessattempt",
]

_SECURITY_ADMIN_PERMS = [
    SECURITY_PERMISSION,
    *_crud("auth.user", "view change"),
    "auth.view_group",
    "crm.view_accesslog",
    "auditlog.view_logentry",
    "axes.view_accessattempt",
    "axes.delete_accessattempt",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    ADVISOR: _ADVISOR_PERMS,
    TEAM_LEAD: _TEAM_LEAD_PERMS,
    BRANCH_MANAGER: _BRANCH_MANAGER_PERMS,
    COMPLIANCE: _COMPLIANCE_PERMS,
    OPS: _OPS_PERMS,
    SECURITY_ADMIN: _SECURITY_ADMIN_PERMS,
}


def sync_roles(apps=None, *, missing_ok: bool = False) -> None:
    """Create the role groups (the five roles, security_admin) with exactly ROLE_PERMISSIONS each.

    ``apps`` is the migration's app registry (or None for the live one). A migration written
    before some model existed passes ``missing_ok=True``: the table here is today's, and the
    newest migration that calls this grants the rest. Permissions are
    normally created after migrations; we create them first so a fresh database gets complete
    groups in the same ``migrate``.
    """
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes

    registry = apps or global_apps
    for app_config in global_apps.get_app_configs():
        create_contenttypes(app_config, verbosity=0, apps=registry)
        create_permissions(app_config, verbosity=0, apps=registry)

    Group = registry.get_model("auth", "Group")
    Permission = registry.get_model("auth", "Permission")
    for role, wanted in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = []
        for dotted in sorted(set(wanted)):
            app_label, codename = dotted.split(".", 1)
            try:
                perms.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
            except Permission.DoesNotExist as exc:
                if missing_ok:  # an older migration: the model arrives later, a later sync grants it
                    continue
                raise LookupError(f"role {role}: permission {dotted} does not exist") from exc
        group.permissions.set(perms)
