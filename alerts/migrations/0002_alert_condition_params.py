from django.db import migrations, models

# The raisers before one raising path wrote three key formats (the demo a fourth, which it no
# longer writes). Each existing row gets its condition as a column and its key in the one format
# of ``alerts.raising.AlertKey`` — ``<kind>:<client>:<condition>[:<day>]`` — so the raising path
# recognises the conditions already alerted (and the closed ones it must not raise again) without
# ever parsing a key. The split below is done once, here. Rows of another format keep their key
# and an empty condition: the nightly reconciliation closes them when they are still open.
# Existing rows keep their stored title and reason (``params`` stays empty: ``alerts.texts``
# shows the stored words), so nothing changes on screen until new alerts are raised.
FORWARD = [
    # nightly:<kind>:<client>:<condition>:<day> -> <kind>:<client>:<condition>:<day>
    """
    UPDATE advisors_alert
       SET condition = split_part(dedupe_key, ':', 4), dedupe_key = substr(dedupe_key, 9)
     WHERE dedupe_key LIKE 'nightly:%%' AND split_part(dedupe_key, ':', 2) = kind
    """,
    # suitability_drift:<client>:<product>:<assessment>:<rating> -> suitability_drift:<client>:<product>|<assessment>|<rating>
    """
    UPDATE advisors_alert
       SET condition = split_part(dedupe_key, ':', 3) || '|' || split_part(dedupe_key, ':', 4) || '|'
                       || split_part(dedupe_key, ':', 5),
           dedupe_key = 'suitability_drift:' || split_part(dedupe_key, ':', 2) || ':'
                        || split_part(dedupe_key, ':', 3) || '|' || split_part(dedupe_key, ':', 4) || '|'
                        || split_part(dedupe_key, ':', 5)
     WHERE kind = 'suitability_drift' AND dedupe_key LIKE 'suitability_drift:%%:%%:%%:%%'
       AND split_part(dedupe_key, ':', 6) = ''
    """,
    # ticket_sla:<ticket>:L<level>:<advisor> -> ticket_sla:<client>:<ticket>|L<level>|<advisor>
    """
    UPDATE advisors_alert
       SET condition = split_part(dedupe_key, ':', 2) || '|' || split_part(dedupe_key, ':', 3) || '|'
                       || split_part(dedupe_key, ':', 4),
           dedupe_key = 'ticket_sla:' || client_id || ':' || split_part(dedupe_key, ':', 2) || '|'
                        || split_part(dedupe_key, ':', 3) || '|' || split_part(dedupe_key, ':', 4)
     WHERE kind = 'ticket_sla' AND dedupe_key LIKE 'ticket_sla:%%:L%%:%%' AND split_part(dedupe_key, ':', 5) = ''
    """,
]

BACKWARD = [
    """
    UPDATE advisors_alert
       SET dedupe_key = 'ticket_sla:' || replace(condition, '|', ':')
     WHERE kind = 'ticket_sla' AND condition <> '' AND dedupe_key = 'ticket_sla:' || client_id || ':' || condition
    """,
    """
    UPDATE advisors_alert
       SET dedupe_key = 'suitability_drift:' || client_id || ':' || replace(condition, '|', ':')
     WHERE kind = 'suitability_drift' AND condition <> ''
       AND dedupe_key = 'suitability_drift:' || client_id || ':' || condition
    """,
    """
    UPDATE advisors_alert SET dedupe_key = 'nightly:' || dedupe_key
     WHERE kind NOT IN ('suitability_drift', 'ticket_sla') AND condition <> ''
       AND dedupe_key LIKE kind || ':' || client_id || ':' || condition || ':%%'
    """,
]


def forward(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for sql in FORWARD:
            cursor.execute(sql)


def backward(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for sql in BACKWARD:
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="alert",
            name="condition",
            field=models.CharField(blank=True, db_default="", default="", max_length=200, verbose_name="condition"),
        ),
        migrations.AddField(
            model_name="alert",
            name="params",
            field=models.JSONField(
                blank=True,
                help_text="What the alert's words are made of; empty for alerts raised with their words stored.",
                null=True,
                verbose_name="parameters",
            ),
        ),
        migrations.RunPython(forward, backward),
    ]
