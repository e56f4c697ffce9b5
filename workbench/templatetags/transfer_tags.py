"""``user|may_transfer``: whether the navigation offers *Transfers* (workbench.transfers)."""

from __future__ import annotations

from django import template

from workbench import transfers

register = template.Library()


@register.filter
def may_transfer(user) -> bool:
    """No query of its own: the user's roles and unit are read once per request (core.access)."""
    return bool(user and user.is_authenticated) and transfers.may_transfer(user)
