"""Index django-auditlog's entries by the client they belong to (issue 27, point 2).

Entries of records that hang on a client (assignments, shares, assessments, tickets …) carry the
client's id in ``additional_data["client"]`` (``core.audit``). A client's history reads them by
``(additional_data ->> 'client')::bigint = <id>`` (or ``IN`` a subquery of ids), newest first;
this expression index serves that lookup and its order. It is partial (``WHERE additional_data ?
'client'``): most entries (products, users, org units) have no client and need no room in it —
the query repeats the condition (``core.audit.client_change_filter``) so PostgreSQL can use it.

The table is django-auditlog's, so the index is created in SQL here rather than declared on a
model of ours.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0011_thresholds"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [
        migrations.RunSQL(
            sql=(
                "CREATE INDEX IF NOT EXISTS logentry_client_when ON auditlog_logentry "
                "(((additional_data ->> 'client')::bigint), \"timestamp\" DESC) WHERE additional_data ? 'client'"
            ),
            reverse_sql="DROP INDEX IF EXISTS logentry_client_when",
        ),
    ]
