"""The covering index the alerts' ranking reads a client's tier and assets band from
(``Client.Meta.indexes``, ``client_rank_keys``), built without locking the clients table
against writes (about a minute at 200,000 clients)."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("clients", "0019_client_held_risk"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="client",
            index=models.Index(fields=["id"], include=("tier", "assets_band"), name="client_rank_keys"),
        ),
    ]
