from django import template

from compliance.trail import may_read_trails as _may_read_trails

register = template.Library()


@register.filter
def may_read_trails(user) -> bool:
    """Whether the navigation shows the audit trail (compliance, head office)."""
    return _may_read_trails(user)
