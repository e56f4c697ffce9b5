from django.db import migrations


def fill_investor_type(apps, schema_editor):
    """Every client's investor class in force, from the assessments and classifications on
    record (one UPDATE; see ``suitability.models.refresh_investor_type``)."""
    from suitability.models import refresh_investor_type

    refresh_investor_type(using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0016_segment_moved_and_marketing"),
        ("suitability", "0004_check_consideration_ends_at"),
    ]

    operations = [migrations.RunPython(fill_investor_type, migrations.RunPython.noop, elidable=True)]
