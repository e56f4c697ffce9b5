"""Personal data in the admin (core/admin_pii.py, clients/admin_pii.py): masked for everyone,
replaced without being shown, revealed only with the permission and a reason, and logged."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clients.models import Client, Relationship
from core.models import AccessLog
from core.pii import mask_id_number, mask_phone
from tests import factories

ID_NUMBER = "11010519900307123X"
PHONE = "13912345678"
EMAIL = "zhang.wei@example.com"
ADDRESS = "北京市朝阳区建国路88号"


@pytest.fixture
def person(branch):
    client = factories.ClientFactory(branch=branch, id_number=ID_NUMBER, phone=PHONE, email=EMAIL, address=ADDRESS)
    Relationship.objects.create(client=client, kind="trusted_contact", contact_name="李明", contact_phone="13698765432")
    return client


def _staff(client, username: str, role: str):
    user = factories.UserFactory(username=username, roles=[role])
    user.is_staff = True
    user.save()
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def ops(client, db):
    return _staff(client, "ops", "ops")


@pytest.fixture
def compliance(client, db):
    return _staff(client, "officer", "compliance")


def _change(client_record) -> str:
    return reverse("admin:clients_client_change", args=[client_record.pk])


def _reveal(client_record) -> str:
    return reverse("admin:clients_client_reveal", args=[client_record.pk])


FULL_VALUES = (ID_NUMBER, PHONE, EMAIL, ADDRESS, "13698765432")


@pytest.mark.parametrize("who", ["ops", "compliance"])
def test_the_change_page_never_carries_a_full_value(request, person, who):
    browser = request.getfixturevalue(who)

    html = browser.get(_change(person)).content.decode()

    for value in FULL_VALUES:
        assert value not in html
    assert mask_id_number(ID_NUMBER) in html
    assert mask_phone(PHONE) in html
    assert mask_phone("13698765432") in html


def test_opening_a_clients_admin_page_is_logged_as_a_view(ops, person):
    ops.get(_change(person))

    entry = AccessLog.objects.get(user=ops.user, client=person)
    assert entry.action == AccessLog.Action.VIEW_CLIENT
    assert entry.source == "admin"


def _post_change(browser, client_record, **changes):
    """The change form as a browser sends it: personal-data inputs start empty."""
    page = browser.get(_change(client_record))
    form = page.context["adminform"].form
    data = {}
    for name in form.fields:
        if name in ("id_number", "phone", "email", "address"):
            data[name] = ""
            continue
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[formset.management_form.add_prefix(key)] = value
        for sub in formset.forms:
            for name in sub.fields:
                value = sub[name].value()
                if name == "contact_phone":
                    value = ""
                if value not in (None, False):
                    data[sub.add_prefix(name)] = value
    data.update(changes, _save="Save")
    return browser.post(_change(client_record), data)


def test_saving_with_the_inputs_left_empty_keeps_every_value(ops, person):
    response = _post_change(ops, person, name="张伟")

    assert response.status_code == 302, response.context["adminform"].form.errors
    saved = Client.objects.get(pk=person.pk)
    assert (saved.name, saved.id_number, saved.phone, saved.email, saved.address) == (
        "张伟",
        ID_NUMBER,
        PHONE,
        EMAIL,
        ADDRESS,
    )
    assert Relationship.objects.get(client=person).contact_phone == "13698765432"


def test_typing_a_value_replaces_it_and_remove_empties_it(ops, person):
    response = _post_change(ops, person, phone="13700001234", email__clear="on")

    assert response.status_code == 302, response.context["adminform"].form.errors
    saved = Client.objects.get(pk=person.pk)
    assert (saved.phone, saved.email, saved.id_number) == ("13700001234", "", ID_NUMBER)


def test_a_bad_new_value_is_refused_on_its_field_and_not_echoed(ops, person):
    response = _post_change(ops, person, phone="1" * 40)

    assert response.status_code == 200
    assert "phone" in response.context["adminform"].form.errors
    assert Client.objects.get(pk=person.pk).phone == PHONE
    assert PHONE not in response.content.decode()
    assert "1" * 40 not in response.content.decode()  # the typed value is not echoed either


def test_ops_without_view_pii_is_refused_the_reveal(ops, person):
    assert ops.get(_reveal(person)).status_code == 403
    response = ops.post(_reveal(person), {"fields_to_reveal": ["phone"], "reason": "client called"})
    assert response.status_code == 403
    assert PHONE not in response.content.decode()
    assert not AccessLog.objects.filter(action=AccessLog.Action.REVEAL_PII).exists()


def test_compliance_reveals_with_a_reason_and_the_access_log_has_it(compliance, person):
    page = compliance.get(_reveal(person))
    assert page.status_code == 200
    assert PHONE not in page.content.decode()

    response = compliance.post(_reveal(person), {"fields_to_reveal": ["phone", "id_number"], "reason": "complaint 42"})

    html = response.content.decode()
    assert response.status_code == 200
    assert PHONE in html and ID_NUMBER in html and EMAIL not in html
    assert "no-store" in response["Cache-Control"]
    entry = AccessLog.objects.get(action=AccessLog.Action.REVEAL_PII)
    assert (entry.user, entry.client, entry.reason, sorted(entry.fields)) == (
        compliance.user,
        person,
        "complaint 42",
        ["id_number", "phone"],
    )


def test_a_reveal_without_a_reason_is_refused_on_the_field(compliance, person):
    response = compliance.post(_reveal(person), {"fields_to_reveal": ["phone"], "reason": ""})

    assert response.status_code == 400
    assert "reason" in response.context["form"].errors
    assert PHONE not in response.content.decode()
    assert not AccessLog.objects.filter(action=AccessLog.Action.REVEAL_PII).exists()


def test_the_relationship_admin_masks_the_contact_phone(compliance, person):
    relationship = Relationship.objects.get(client=person)

    html = compliance.get(reverse("admin:clients_relationship_change", args=[relationship.pk])).content.decode()

    assert "13698765432" not in html
    assert mask_phone("13698765432") in html
