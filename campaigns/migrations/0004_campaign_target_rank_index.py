"""An index for the campaign page's target list (a campaign's targets ranked, the control group
last): a page past the first reads the index in order instead of sorting every target of the
campaign. Plain SQL, so the models' state is unchanged (an index of the pages, not of the model)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0003_targets_exclusions_model")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS campaign_target_ranked "
            "ON campaigns_campaigntarget (campaign_id, control, rank, id)",
            "DROP INDEX IF EXISTS campaign_target_ranked",
        )
    ]
