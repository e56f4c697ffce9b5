# An alert carries its client's branch, kept by the database (issue 28): a branch manager's
# open alerts are then one range of an index, not a probe of each of the branch's clients.
#
# Two triggers keep it exact whatever writes the rows (the ORM, bulk_create, update(), an
# import's SQL): every insert of an alert and every change of its client (or of the copy itself)
# reads the branch from the client; every change of a client's branch moves its alerts' copies.
# The backfill runs before the index is built.

import django.db.models.deletion
from django.db import migrations, models

KEEP = """
UPDATE advisors_alert a SET branch_id = c.branch_id FROM clients_client c WHERE c.id = a.client_id;

CREATE FUNCTION alert_branch_from_client() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT c.branch_id INTO NEW.branch_id FROM clients_client c WHERE c.id = NEW.client_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER alert_branch_from_client
    BEFORE INSERT OR UPDATE OF client_id, branch_id ON advisors_alert
    FOR EACH ROW EXECUTE FUNCTION alert_branch_from_client();

CREATE FUNCTION alert_branch_follows_client() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE advisors_alert SET branch_id = NEW.branch_id
    WHERE client_id = NEW.id AND branch_id IS DISTINCT FROM NEW.branch_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER alert_branch_follows_client
    AFTER UPDATE OF branch_id ON clients_client
    FOR EACH ROW WHEN (OLD.branch_id IS DISTINCT FROM NEW.branch_id)
    EXECUTE FUNCTION alert_branch_follows_client();
"""

FORGET = """
DROP TRIGGER IF EXISTS alert_branch_follows_client ON clients_client;
DROP FUNCTION IF EXISTS alert_branch_follows_client();
DROP TRIGGER IF EXISTS alert_branch_from_client ON advisors_alert;
DROP FUNCTION IF EXISTS alert_branch_from_client();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("advisors", "0005_transfer_reasons"),
        ("alerts", "0006_open_kind"),
        ("clients", "0020_load_lists"),
    ]

    operations = [
        migrations.AddField(
            model_name="alert",
            name="branch",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="advisors.orgunit",
                verbose_name="branch",
            ),
        ),
        migrations.RunSQL(KEEP, FORGET),
        migrations.AddIndex(
            model_name="alert",
            index=models.Index(
                condition=models.Q(("status__in", ["open", "snoozed"])),
                fields=["branch", "kind"],
                include=("client", "status", "snoozed_until", "severity", "due_on", "advisor"),
                name="alert_open_branch_kind",
            ),
        ),
    ]
