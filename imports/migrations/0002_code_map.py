from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("imports", "0001_initial")]
    operations: list = []
