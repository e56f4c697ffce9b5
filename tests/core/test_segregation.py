"""Segregation of duties in the user admin (core/segregation.py): operations manage users but
cannot give themselves or anyone else access to personal data, nor take over a privileged
account; only a security administrator can, and every grant is in the change log."""

from __future__ import annotations

import datetime

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from core import segregation
from tests import factories

User = get_user_model()
PASSWORD_FORM = {"password1": "a-new-long-passphrase-26", "password2": "a-new-long-passphrase-26"}


def _change(user) -> str:
    return reverse("admin:auth_user_change", args=[user.pk])


def _password(user) -> str:
    return reverse("admin:auth_user_password_change", args=[user.pk])


def _staff(username: str, *roles: str):
    user = factories.UserFactory(username=username, roles=list(roles))
    user.is_staff = True
    user.save()
    return user


def _form(response) -> dict:
    """The change form as a browser would send it back."""
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            data[name] = [str(v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, datetime.datetime):  # the admin's split date and time inputs
            data[f"{name}_0"], data[f"{name}_1"] = value.date().isoformat(), value.time().isoformat()
        else:
            data[name] = value
    return data


def _set_groups(browser, user, names: list[str]):
    data = _form(browser.get(_change(user)))
    data["groups"] = [str(pk) for pk in Group.objects.filter(name__in=names).values_list("pk", flat=True)]
    data["_save"] = "Save"
    return browser.post(_change(user), data)


def _groups(user) -> set[str]:
    return set(User.objects.get(pk=user.pk).groups.values_list("name", flat=True))


@pytest.fixture
def ops(client, db):
    user = _staff("ops", "ops")
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def security(client, db):
    user = _staff("secadmin", "security_admin")
    client.force_login(user)
    client.user = user
    return client


@pytest.mark.parametrize("role", ["compliance", "branch_manager", "security_admin"])
def test_ops_cannot_give_themselves_a_privileged_role(ops, role):
    _set_groups(ops, ops.user, ["ops", role])  # read-only on one's own account: the posted value is ignored

    assert _groups(ops.user) == {"ops"}
    assert not User.objects.get(pk=ops.user.pk).has_perm("clients.view_pii")


def test_ops_cannot_change_their_own_groups_at_all(ops):
    page = ops.get(_change(ops.user))

    assert "groups" not in page.context["adminform"].form.fields  # shown read-only
    _set_groups(ops, ops.user, ["ops", "advisor"])
    assert _groups(ops.user) == {"ops"}


@pytest.mark.parametrize("role", ["compliance", "branch_manager", "security_admin"])
def test_ops_cannot_grant_a_privileged_role_to_someone_else(ops, role):
    colleague = _staff("colleague", "ops")

    response = _set_groups(ops, colleague, ["ops", role])

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors.as_data()
    assert [error.code for error in errors["groups"]] == ["privileged_group"]
    assert _groups(colleague) == {"ops"}


def test_ops_cannot_take_a_privileged_role_away(ops):
    officer = _staff("officer", "compliance")

    response = _set_groups(ops, officer, [])

    assert "groups" in response.context["adminform"].form.errors
    assert _groups(officer) == {"compliance"}


def test_ops_still_gives_ordinary_roles(ops):
    newcomer = factories.UserFactory(username="newcomer")

    response = _set_groups(ops, newcomer, ["advisor"])

    assert response.status_code == 302
    assert _groups(newcomer) == {"advisor"}


@pytest.mark.parametrize("role", ["compliance", "branch_manager", "security_admin"])
def test_ops_cannot_reset_a_privileged_users_password(ops, role):
    target = _staff("target", role)
    before = User.objects.get(pk=target.pk).password

    assert ops.get(_password(target)).status_code == 403
    assert ops.post(_password(target), PASSWORD_FORM).status_code == 403
    assert User.objects.get(pk=target.pk).password == before


def test_ops_resets_an_advisors_password(ops):
    target = factories.UserFactory(username="adv", roles=["advisor"])

    assert ops.post(_password(target), PASSWORD_FORM).status_code == 302
    assert User.objects.get(pk=target.pk).check_password(PASSWORD_FORM["password1"])


def test_a_direct_view_pii_permission_makes_a_user_privileged(ops):
    from django.contrib.auth.models import Permission

    target = factories.UserFactory(username="direct")
    target.user_permissions.add(Permission.objects.get(codename="view_pii"))

    assert ops.post(_password(target), PASSWORD_FORM).status_code == 403


def test_a_security_admin_grants_compliance_and_the_change_log_says_who(security):
    colleague = _staff("colleague", "ops")

    response = _set_groups(security, colleague, ["compliance"])

    assert response.status_code == 302
    assert _groups(colleague) == {"compliance"}
    entry = LogEntry.objects.get_for_object(colleague).order_by("-timestamp").first()
    assert entry.actor == security.user
    assert "compliance" in str(entry.changes)


def test_a_security_admin_resets_a_branch_managers_password(security):
    target = _staff("bm", "branch_manager")

    assert security.post(_password(target), PASSWORD_FORM).status_code == 302


def test_a_security_admin_cannot_change_their_own_groups(security):
    _set_groups(security, security.user, ["security_admin", "compliance"])

    assert _groups(security.user) == {"security_admin"}


def test_the_security_admin_group_holds_the_permission_and_ops_does_not(db):
    assert factories.UserFactory(username="s", roles=["security_admin"]).has_perm("crm.administer_security")
    for role in ("advisor", "team_lead", "branch_manager", "compliance", "ops"):
        assert not factories.UserFactory(username=f"u-{role}", roles=[role]).has_perm("crm.administer_security")


def test_privileged_groups_are_found_by_their_permissions(db):
    names = set(Group.objects.filter(pk__in=segregation.privileged_group_ids()).values_list("name", flat=True))

    assert names == {"branch_manager", "compliance", "security_admin"}


def test_a_refused_grant_leaves_the_reveal_api_refused(ops, client_record):
    _set_groups(ops, ops.user, ["ops", "compliance"])

    response = ops.post(
        f"/api/v1/clients/{client_record.pk}/reveal/",
        {"fields": ["phone"], "reason": "checking"},
        content_type="application/json",
    )
    assert response.status_code in (403, 404)
    assert client_record.phone not in response.content.decode()
