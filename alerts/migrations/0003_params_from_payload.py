from django.db import migrations

# Alerts raised before their words were rendered store their words in the language of the
# night. Where the details they were raised with (``payload``) hold everything the words name,
# their parameters are written from them, so these alerts too read in the reader's language:
# suitability drift (the reasons were kept in both languages), risk profiles, birthdays, tier
# changes, and maturities (the product's name from the catalogue, the days left from the maturity
# date and the day raised). The others — large outflow, dormant, churn risk, ticket SLA and the
# demo's contact due — lack some of it (a share, an activity date, the reasons, the escalation's
# cause) and keep showing their stored words until they close. Stored words are left in place.
FROM_PAYLOAD = [
    """
    UPDATE advisors_alert
       SET params = jsonb_build_object('product_code', payload->'product_code', 'reasons', payload->'reasons')
     WHERE kind = 'suitability_drift' AND params IS NULL
       AND jsonb_typeof(payload->'product_code') = 'string' AND jsonb_typeof(payload->'reasons') = 'array'
       AND NOT EXISTS (
           SELECT 1 FROM jsonb_array_elements(payload->'reasons') r
            WHERE jsonb_typeof(r) <> 'object' OR NOT (r ? 'en' AND r ? 'zh')
       )
    """,
    """
    UPDATE advisors_alert
       SET params = jsonb_build_object('valid_until', payload->'valid_until', 'expired', payload->'expired')
     WHERE kind = 'risk_profile_expiring' AND params IS NULL
       AND jsonb_typeof(payload->'valid_until') = 'string' AND jsonb_typeof(payload->'expired') = 'boolean'
    """,
    """
    UPDATE advisors_alert
       SET params = jsonb_build_object('birthday', payload->'birthday', 'age', payload->'age')
     WHERE kind = 'birthday' AND params IS NULL
       AND jsonb_typeof(payload->'birthday') = 'string' AND jsonb_typeof(payload->'age') = 'number'
    """,
    """
    UPDATE advisors_alert
       SET params = jsonb_build_object(
               'from', payload->'from', 'to', payload->'to',
               'average', round((payload->>'average_assets')::numeric * 100)::bigint)
     WHERE kind = 'tier_change' AND params IS NULL
       AND jsonb_typeof(payload->'from') = 'string' AND jsonb_typeof(payload->'to') = 'string'
       AND jsonb_typeof(payload->'average_assets') = 'number'
    """,
    """
    UPDATE advisors_alert a
       SET params = jsonb_build_object(
               'product_name', p.name, 'product_code', p.code,
               'days', (a.payload->>'maturity_date')::date - a.due_on,
               'maturity_date', a.payload->'maturity_date',
               'value', round((a.payload->>'value')::numeric * 100)::bigint,
               'suggestions', COALESCE(a.payload->'suggestions', '[]'::jsonb))
      FROM products_product p
     WHERE a.kind = 'maturity' AND a.params IS NULL AND p.code = a.payload->>'product'
       AND jsonb_typeof(a.payload->'maturity_date') = 'string' AND jsonb_typeof(a.payload->'value') = 'number'
       AND a.payload->>'maturity_date' ~ '^\\d{4}-\\d{2}-\\d{2}$'
    """,
]


def forward(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for sql in FROM_PAYLOAD:
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0002_alert_condition_params"),
        ("products", "0001_initial"),
    ]

    # Backwards nothing to undo: 0002's reversal drops the parameters with their column.
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
