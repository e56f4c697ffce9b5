"""base.html's chrome, written once per process: ``{% chrome name LANGUAGE_CODE menu.key %}…
{% endchrome %}`` (the fragment's name, then the values it varies on) and
``{% main_menu_entries as menu %}``.

The head's assets, the menu's links and labels and the language choice are the same for every
reader of one language who sees the same menu entries. Written afresh they cost 2–2.5 ms of
every page (a dozen reversed URLs, forty translated labels, eight static paths); a ``{% chrome %}``
fragment is rendered the first time its name and values are met and kept in the process's
memory after. Django's ``{% cache %}`` does the same through a cache backend, at 0.15 ms a
fragment (the backend's lookup, key hashing, pickling), which was most of what it saved.

What a fragment shows must follow from its values alone: what differs per request (the badge's
count, the user's name, the CSRF token, the page's own path) stays outside. The values are few
by design (two languages, one digit per menu entry); a deploy restarts the processes, and a
test that changes the settings empties the fragments."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.core.signals import setting_changed

from compliance.queues import may_use_workbench
from compliance.trail import may_read_trails
from workbench.transfers import may_transfer

register = template.Library()

_FRAGMENTS: dict[tuple, str] = {}
_MOST = 1024  # a guard: a template that varied a fragment on something unbounded


class ChromeNode(template.Node):
    def __init__(self, nodelist, name: str, vary_on: list):
        self.nodelist, self.name, self.vary_on = nodelist, name, vary_on

    def render(self, context) -> str:
        key = (self.name, *(value.resolve(context) for value in self.vary_on))
        html = _FRAGMENTS.get(key)
        if html is None:
            html = self.nodelist.render(context)
            if len(_FRAGMENTS) >= _MOST:
                _FRAGMENTS.clear()
            _FRAGMENTS[key] = html
        return html


@register.tag
def chrome(parser, token) -> ChromeNode:
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("{% chrome %} takes a fragment's name and the values it varies on")
    nodelist = parser.parse(("endchrome",))
    parser.delete_first_token()
    return ChromeNode(nodelist, bits[1], [parser.compile_filter(bit) for bit in bits[2:]])


def _forget(**kwargs) -> None:
    _FRAGMENTS.clear()


setting_changed.connect(_forget, dispatch_uid="chrome_tags.forget")


@dataclass(frozen=True)
class MenuEntries:
    segments: bool = False
    tickets: bool = False
    reports: bool = False
    campaigns: bool = False
    transfers: bool = False
    compliance: bool = False
    trails: bool = False
    admin: bool = False

    @property
    def key(self) -> str:
        """One digit per entry: the cache key's part that tells two menus apart."""
        return "".join("1" if shown else "0" for shown in self.__dict__.values())


@register.simple_tag(takes_context=True)
def main_menu_entries(context) -> MenuEntries:
    """No query of its own: a user's roles, unit and permissions are read once per request and
    kept between requests (core.authz_cache), and each of these reads them."""
    user = context.get("user")
    if user is None or not user.is_authenticated:
        return MenuEntries()
    return MenuEntries(
        segments=user.has_perm("clients.view_segment"),
        tickets=user.has_perm("tickets.view_ticket"),
        reports=user.has_perm("reports.view_report"),
        campaigns=user.has_perm("campaigns.view_campaign"),
        transfers=may_transfer(user),
        compliance=may_use_workbench(user),
        trails=may_read_trails(user),
        admin=user.is_staff,
    )
