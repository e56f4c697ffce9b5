#!/usr/bin/env bash
# Fails when the Simplified Chinese catalogue is not complete for the code as it is now.
#
# Re-runs makemessages on a throwaway copy of the project (the real locale/ is never touched),
# then fails if any message is untranslated or fuzzy, if msgfmt finds a format error
# (placeholders such as %(name)s / {name} must match), or if the committed django.mo is not
# the compiled form of the committed django.po.
#
# Usage: locale/check_catalogue.sh            (from anywhere; uses .venv/bin/python if present)
# Fix:   make messages, translate the new or fuzzy entries in locale/zh_Hans/LC_MESSAGES/django.po,
#        make messages again (compiles), commit django.po and django.mo.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
LOCALE=zh_Hans
PO_REL="locale/${LOCALE}/LC_MESSAGES/django.po"
MO_REL="locale/${LOCALE}/LC_MESSAGES/django.mo"
PY="${PY:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY=python3

for tool in msgfmt msgattrib msgmerge xgettext; do
  command -v "$tool" >/dev/null || { echo "check_catalogue: '$tool' not found (install gettext)" >&2; exit 2; }
done
[ -f "$ROOT/$PO_REL" ] || { echo "check_catalogue: $PO_REL is missing (run: make messages)" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# A copy of the project's own files: makemessages writes into settings.LOCALE_PATHS
# (BASE_DIR/locale), so running it in the copy leaves the real catalogue alone.
tar -C "$ROOT" \
  --exclude=./.venv --exclude=./.git --exclude=./node_modules --exclude=./staticfiles \
  --exclude=./static/vendor --exclude=./media --exclude=./tmp --exclude=./demo-extract \
  --exclude=./.pgdata --exclude=./test-artifacts --exclude=.pytest_cache --exclude=.ruff_cache --exclude=__pycache__ \
  -cf - . | tar -C "$TMP" -xf -

status=0
(
  cd "$TMP"
  "$PY" manage.py makemessages -l "$LOCALE" --verbosity 0 \
    --ignore=.venv --ignore=static/vendor --ignore=staticfiles --ignore=node_modules
) || { echo "check_catalogue: makemessages failed" >&2; exit 2; }

PO="$TMP/$PO_REL"

if ! msgfmt --check --statistics -o /dev/null "$PO" 2>"$TMP/stats"; then
  cat "$TMP/stats" >&2
  echo "check_catalogue: msgfmt --check failed (format error in $PO_REL)" >&2
  status=1
fi

untranslated="$(msgattrib --untranslated --no-obsolete --no-wrap "$PO" | grep -c '^msgid ' || true)"
fuzzy="$(msgattrib --only-fuzzy --no-obsolete --no-wrap "$PO" | grep -c '^msgid ' || true)"
# msgattrib prints the header entry (msgid "") with any non-empty selection: don't count it.
[ "$untranslated" -gt 0 ] && untranslated=$((untranslated - 1))
[ "$fuzzy" -gt 0 ] && fuzzy=$((fuzzy - 1))

if [ "$untranslated" -gt 0 ] || [ "$fuzzy" -gt 0 ]; then
  echo "check_catalogue: $PO_REL needs work: $untranslated untranslated, $fuzzy fuzzy (after makemessages):" >&2
  if [ "$untranslated" -gt 0 ]; then
    echo "--- untranslated:" >&2
    msgattrib --untranslated --no-obsolete "$PO" | sed -n '/^#:/,$p' | grep -E '^(#:|msgctxt|msgid|"|$)' >&2 || true
  fi
  if [ "$fuzzy" -gt 0 ]; then
    echo "--- fuzzy (check the suggested msgstr, then remove the '#, fuzzy' line):" >&2
    msgattrib --only-fuzzy --no-obsolete "$PO" | sed -n '/^#:/,$p' >&2 || true
  fi
  status=1
fi

# The committed .mo must be the compiled committed .po (same msgfmt as compilemessages uses).
if [ ! -f "$ROOT/$MO_REL" ]; then
  echo "check_catalogue: $MO_REL is missing (run: make messages)" >&2
  status=1
else
  msgfmt --check-format -o "$TMP/expected.mo" "$ROOT/$PO_REL" 2>/dev/null || true
  if ! cmp -s "$TMP/expected.mo" "$ROOT/$MO_REL"; then
    echo "check_catalogue: $MO_REL is stale: recompile (make messages) and commit it" >&2
    status=1
  fi
fi

if [ "$status" -eq 0 ]; then
  echo "check_catalogue: $LOCALE complete ($(cat "$TMP/stats"))"
fi
exit "$status"
