"""The covering index the alerts' ranking reads a client's tier and assets band from
(``Client.Meta.indexes``, ``client_rank_keys``). A plain ``CREATE INDEX``: it holds writes to the
clients table while it builds (about 6 s at 200,000 clients), so run the upgrade outside the
nightly window; the migration tests migrate inside a transaction, which a concurrent build
cannot run in."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0019_client_held_risk"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="client",
            index=models.Index(fields=["id"], include=("tier", "assets_band"), name="client_rank_keys"),
        ),
    ]
