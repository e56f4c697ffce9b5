from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("imports", "0002_code_map")]
    operations: list = []
