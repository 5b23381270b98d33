"""Stored retention results, and the store's settings for them (``RetentionSettings``: when a
customer counts as lapsed). ``insight_refresh`` writes a whole run (``InsightRun`` with its
``CurrencyInsight`` and ``CustomerInsight`` rows); pages read the latest finished run, so a
report never mixes two refreshes and never computes on request."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting


# Under Settings in the admin; staff change it there (membership's "*" covers its permission).
@register_setting(icon="user")
class RetentionSettings(BaseGenericSetting):  # type: ignore[misc]  # Wagtail ships no types
    """The store's choices for judging who has lapsed (docs/insight.md, "Churn")."""

    lapse_probability = models.DecimalField(
        _("lapse below this probability of being active"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.30"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("0.99"))],
        help_text=_(
            "A repeat customer counts as lapsed when the model's probability that they are still "
            "a customer falls below this."
        ),
    )
    lapse_days = models.PositiveSmallIntegerField(
        _("lapse after this many days (one purchase)"),
        default=180,
        validators=[MinValueValidator(7), MaxValueValidator(3650)],
        help_text=_(
            "A customer with fewer than two purchases counts as lapsed when their last purchase "
            "is older than this."
        ),
    )
    min_repeat_buyers = models.PositiveIntegerField(
        _("fewest repeat buyers for the model"),
        default=30,
        validators=[MinValueValidator(10)],
        help_text=_(
            "With fewer repeat buyers in a currency the model is not fitted: the recency rule "
            "judges everyone and no prediction is shown."
        ),
    )
    holdout_weeks = models.PositiveSmallIntegerField(
        _("holdout check, weeks"),
        default=26,
        validators=[MinValueValidator(4), MaxValueValidator(104)],
        help_text=_(
            "The model is also fitted without this many last weeks, to compare its prediction "
            "for them with what happened."
        ),
    )

    class Meta:
        verbose_name = _("retention settings")


class InsightRun(models.Model):
    """One ``insight_refresh``: when it ran, what it was told, and whether it finished."""

    class State(models.TextChoices):
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    as_of = models.DateTimeField(_("as of"))
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.RUNNING)
    # lapse_probability, lapse_days, min_repeat_buyers, holdout_weeks as used (types.RunSettings).
    settings = models.JSONField(_("settings"), default=dict)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-as_of", "-pk"]
        verbose_name = _("insight refresh")
        verbose_name_plural = _("insight refreshes")
        indexes = [models.Index(fields=["state", "-as_of"], name="insight_run_latest")]
        # The retention pages (figures about every customer): Staff and superusers.
        permissions = [("view_retention", _("Can see the retention report and the at-risk list"))]

    def __str__(self) -> str:
        return f"{self.as_of:%Y-%m-%d %H:%M} ({self.state})"


class CurrencyInsight(models.Model):
    """The store-wide figures of one run in one currency (JSON shapes in ``types.py``)."""

    run = models.ForeignKey(InsightRun, on_delete=models.CASCADE, related_name="currencies")
    currency = models.CharField(_("currency"), max_length=3)
    customers = models.PositiveIntegerField(_("customers"), default=0)
    purchases = models.PositiveIntegerField(_("purchases"), default=0)
    model = models.JSONField(_("model"), default=dict)  # types.ModelReport
    periods = models.JSONField(_("periods"), default=dict)  # {period key: types.PeriodReport}
    monthly = models.JSONField(_("months"), default=list)  # [types.MonthFigures]
    cohorts = models.JSONField(_("cohorts"), default=list)  # [types.CohortRow]
    tiers = models.JSONField(_("tiers"), default=list)  # [types.TierValue]

    class Meta:
        ordering = ["-purchases", "currency"]
        verbose_name = _("retention figures")
        verbose_name_plural = _("retention figures")
        constraints = [models.UniqueConstraint(fields=["run", "currency"], name="insight_currency_once")]

    def __str__(self) -> str:
        return f"{self.currency} @ {self.run_id}"


class CustomerInsight(models.Model):
    """One customer (a member, or a non-member's normalised email) in one currency."""

    currency_insight = models.ForeignKey(
        CurrencyInsight, on_delete=models.CASCADE, related_name="customers_set"
    )
    email = models.CharField(_("email"), max_length=254)
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # The member's tier when the run was made; filters and per-tier figures use it.
    tier = models.ForeignKey(
        "membership.Tier", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    purchases = models.PositiveIntegerField(_("purchases"))
    first_purchase = models.DateTimeField(_("first purchase"))
    last_purchase = models.DateTimeField(_("last purchase"))
    net_revenue = models.DecimalField(_("net revenue"), max_digits=14, decimal_places=2)
    # Null when the model was not fitted for the currency (too few repeat buyers).
    p_alive = models.FloatField(_("probability active"), null=True, blank=True)
    expected_purchases_90d = models.FloatField(_("expected purchases in 90 days"), null=True, blank=True)
    expected_order_value = models.DecimalField(
        _("expected order value"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    predicted_clv = models.DecimalField(
        _("predicted 12-month CLV"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    lapsed = models.BooleanField(_("lapsed"), default=False)
    value_at_risk = models.DecimalField(_("value at risk"), max_digits=14, decimal_places=2, default=0)
    # Reason codes (types.REASONS) and, per code, the figures behind it (types.ReasonDetail).
    reasons = models.JSONField(_("reasons"), default=list)
    reason_details = models.JSONField(_("reason details"), default=dict)

    class Meta:
        ordering = ["-value_at_risk", "pk"]
        verbose_name = _("customer retention")
        verbose_name_plural = _("customer retention")
        indexes = [
            models.Index(fields=["currency_insight", "-value_at_risk"], name="insight_customer_risk"),
            models.Index(fields=["member", "currency_insight"], name="insight_customer_member"),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.currency_insight_id})"
