# An alert carries its client's rank keys (tier and assets band: alerts.ranking), kept by the
# database as its branch is (0007), so the ranked list scores a branch's or the firm's open
# alerts from the alerts' index alone instead of reading each alert's client (issue 28).
#
# Two triggers keep the copies exact whatever writes the rows: every insert of an alert and
# every change of its client (or of a copy) reads them from the client; every change of a
# client's tier or assets band (a generated column: the trigger fires on an update of
# total_assets too) rewrites its alerts' copies. The trigger on the clients is a row trigger
# with a WHEN, so the nightly's update of every client's assets queues work only for the few
# whose tier or band changed. The backfill runs before the indexes are built.

from django.db import migrations, models

KEEP = """
UPDATE advisors_alert a SET client_tier = c.tier, client_assets_band = c.assets_band
FROM clients_client c WHERE c.id = a.client_id;

CREATE FUNCTION alert_rank_keys_from_client() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT c.tier, c.assets_band INTO NEW.client_tier, NEW.client_assets_band
    FROM clients_client c WHERE c.id = NEW.client_id;
    RETURN NEW;
END
$$;
CREATE TRIGGER alert_rank_keys_from_client
    BEFORE INSERT OR UPDATE OF client_id, client_tier, client_assets_band ON advisors_alert
    FOR EACH ROW EXECUTE FUNCTION alert_rank_keys_from_client();

CREATE FUNCTION alert_rank_keys_follow_client() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE advisors_alert SET client_tier = NEW.tier, client_assets_band = NEW.assets_band
    WHERE client_id = NEW.id
      AND (client_tier, client_assets_band) IS DISTINCT FROM (NEW.tier, NEW.assets_band);
    RETURN NULL;
END
$$;
CREATE TRIGGER alert_rank_keys_follow_client
    AFTER UPDATE OF tier, assets_band ON clients_client
    FOR EACH ROW WHEN ((OLD.tier, OLD.assets_band) IS DISTINCT FROM (NEW.tier, NEW.assets_band))
    EXECUTE FUNCTION alert_rank_keys_follow_client();
"""

FORGET = """
DROP TRIGGER IF EXISTS alert_rank_keys_follow_client ON clients_client;
DROP FUNCTION IF EXISTS alert_rank_keys_follow_client();
DROP TRIGGER IF EXISTS alert_rank_keys_from_client ON advisors_alert;
DROP FUNCTION IF EXISTS alert_rank_keys_from_client();
"""

OPEN = models.Q(("status__in", ["open", "snoozed"]))


class Migration(migrations.Migration):
    dependencies = [
        ("advisors", "0005_transfer_reasons"),
        ("alerts", "0007_branch"),
        ("clients", "0021_kept_count"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="alert", name="alert_open_client_kind"),
        migrations.RemoveIndex(model_name="alert", name="alert_open_branch_kind"),
        migrations.AddField(
            model_name="alert",
            name="client_assets_band",
            field=models.SmallIntegerField(blank=True, editable=False, null=True, verbose_name="client assets band"),
        ),
        migrations.AddField(
            model_name="alert",
            name="client_tier",
            field=models.CharField(
                blank=True, db_default="", default="", editable=False, max_length=8, verbose_name="client tier"
            ),
        ),
        migrations.RunSQL(KEEP, FORGET),
        migrations.AddIndex(
            model_name="alert",
            index=models.Index(
                condition=OPEN,
                fields=["client", "kind"],
                include=("status", "snoozed_until", "severity", "due_on", "advisor", "client_tier", "client_assets_band"),
                name="alert_open_client_kind",
            ),
        ),
        migrations.AddIndex(
            model_name="alert",
            index=models.Index(
                condition=OPEN,
                fields=["branch", "kind"],
                include=(
                    "client",
                    "status",
                    "snoozed_until",
                    "severity",
                    "due_on",
                    "advisor",
                    "client_tier",
                    "client_assets_band",
                ),
                name="alert_open_branch_kind",
            ),
        ),
    ]
