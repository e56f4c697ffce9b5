"""Apply translations from a Python file of dicts ``T`` (msgid → msgstr) and ``PLURAL``
(msgid → the one Chinese plural form) to the zh_Hans catalogue, clearing fuzzy flags.

    .venv/bin/python locale/tools/apply_translations.py translations.py

(Needs polib: ``pip install polib``.) Then ``make messages`` compiles.
"""

import runpy
import sys

import polib

PO = "locale/zh_Hans/LC_MESSAGES/django.po"


def main(path: str) -> None:
    data = runpy.run_path(path)
    singular = data.get("T", {})
    # PLURAL's keys: the singular msgid, or (singular, plural); its values: the one Chinese form,
    # or a list holding it.
    plural = {
        (key[0] if isinstance(key, tuple) else key): (value[0] if isinstance(value, list) else value)
        for key, value in data.get("PLURAL", {}).items()
    }
    ctx = data.get("CTX", {})  # (context, msgid) → msgstr
    po = polib.pofile(PO)
    done = 0
    for entry in po:
        if entry.obsolete:
            continue
        key = (entry.msgctxt, entry.msgid)
        if entry.msgid_plural and entry.msgid in plural:
            entry.msgstr_plural = {0: plural[entry.msgid]}
        elif key in ctx:
            entry.msgstr = ctx[key]
        elif entry.msgctxt is None and not entry.msgid_plural and entry.msgid in singular:
            entry.msgstr = singular[entry.msgid]
        else:
            continue
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        entry.previous_msgid = entry.previous_msgid_plural = entry.previous_msgctxt = None
        done += 1
    po.save(PO)
    print(f"{done} entries translated")


if __name__ == "__main__":
    main(sys.argv[1])
