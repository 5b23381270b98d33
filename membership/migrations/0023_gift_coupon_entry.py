"""A gifted coupon's ledger row has no amount: the ledger records every gift, and a coupon
staff or a campaign gave costs the member no points (membership/campaigns/gifts.py)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("membership", "0022_campaigns")]

    operations = [
        migrations.RemoveConstraint(model_name="pointentry", name="point_entry_amount_not_zero"),
        migrations.AddConstraint(
            model_name="pointentry",
            constraint=models.CheckConstraint(
                condition=~models.Q(amount=0) | models.Q(kind="gift"), name="point_entry_amount_not_zero"
            ),
        ),
    ]
