"""The retention pages in the Wagtail admin: who may see them, what they show from a stored
run (never computing on request), their CSV exports, and what they cost in queries.

Stored results are a cache that ``insight_refresh`` writes; most tests build one directly
(``stored_run``) with figures written out, and one test runs the real refresh on orders made
through ``order_receive``."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from membership.insight import charts, selectors
from membership.insight.models import CurrencyInsight, CustomerInsight, InsightRun
from membership.insight.tables import safe_cell
from membership.models import Tier, User
from tests.factories import make_member

pytestmark = pytest.mark.django_db

AS_OF = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
REPORT = "/admin/retention/"
AT_RISK = "/admin/retention/at-risk/"


# --- stored results, written out ----------------------------------------------------------------


def figures(**overrides: Any) -> dict[str, Any]:
    base = {
        "customers": 120,
        "active_customers": 40,
        "purchases": 55,
        "revenue": "4125.00",
        "repeat_rate": 0.35,
        "window_repeat_rate": 0.2,
        "frequency": 1.8,
        "aov": "75.00",
        "historic_clv": "143.20",
        "churn_rate": 0.12,
        "active_at_start": 50,
        "lapsed": 6,
        "members_share": 0.55,
    }
    return {**base, **overrides}


def segment(**overrides: Any) -> dict[str, Any]:
    base = {
        "customers": 60,
        "active_customers": 20,
        "purchases": 30,
        "revenue": "2000.00",
        "repeat_rate": 0.4,
        "frequency": 2.0,
        "aov": "66.67",
        "historic_clv": "150.00",
    }
    return {**base, **overrides}


def period(key: str, *, current: dict | None = None, previous: dict | None = None) -> dict[str, Any]:
    days = {"30d": 30, "90d": 90, "365d": 365, "all": None}[key]
    return {
        "key": key,
        "start": (AS_OF - timedelta(days=days)).isoformat() if days else None,
        "end": AS_OF.isoformat(),
        "days": days,
        "current": current or figures(),
        "previous": None if days is None else (previous or figures(repeat_rate=0.3, churn_rate=0.15)),
        "segments": {
            "members": segment(repeat_rate=0.5),
            "non_members": segment(repeat_rate=0.2, customers=60),
            "engaged": segment(repeat_rate=0.7, customers=15),
            "not_engaged": segment(repeat_rate=0.4, customers=45),
        },
        "programme": {
            "coupons_redeemed": 12,
            "coupons_redeemed_value": "120.00",
            "coupons_redeemed_unvalued": 2,
            "coupons_used": 9,
            "coupons_used_value": "90.00",
            "coupons_used_unvalued": 1,
            "points_liability": 48200,
            "referred_revenue": "310.00",
            "coupon_order_revenue": "860.00",
        },
    }


def fitted_model() -> dict[str, Any]:
    return {
        "state": "fitted",
        "unit": "week",
        "customers": 120,
        "repeat_buyers": 42,
        "min_repeat_buyers": 30,
        "bgnbd": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "log_likelihood": -9582.43},
        "gamma_gamma": {"p": 6.25, "q": 3.74, "gamma": 15.44, "customers": 42},
        "holdout": {
            "weeks": 26,
            "calibration_end": "2026-06-01T03:00:00+00:00",
            "rows": [
                {"frequency": "0", "customers": 70, "actual": 0.21, "predicted": 0.24},
                {"frequency": "1", "customers": 30, "actual": 0.62, "predicted": 0.58},
                {"frequency": "7+", "customers": 5, "actual": 3.4, "predicted": 3.1},
            ],
            "total_actual": 51,
            "total_predicted": 50.4,
        },
        "message": "",
    }


def thin_model() -> dict[str, Any]:
    return {
        "state": "too_thin",
        "unit": "week",
        "customers": 12,
        "repeat_buyers": 3,
        "min_repeat_buyers": 30,
        "bgnbd": None,
        "gamma_gamma": None,
        "holdout": None,
        "message": "3 repeat buyers, fewer than 30",
    }


def stored_run(
    *,
    currency: str = "EUR",
    model: dict | None = None,
    periods: dict | None = None,
    tiers: list | None = None,
    state: str = InsightRun.State.DONE,
    as_of: datetime = AS_OF,
    extra_currencies: tuple[str, ...] = (),
) -> CurrencyInsight:
    run = InsightRun.objects.create(
        as_of=as_of,
        state=state,
        finished_at=as_of if state == InsightRun.State.DONE else None,
        settings={"lapse_probability": 0.3, "lapse_days": 180, "min_repeat_buyers": 30, "holdout_weeks": 26},
    )
    gold = Tier.objects.get(slug="gold")
    insight = CurrencyInsight.objects.create(
        run=run,
        currency=currency,
        customers=120,
        purchases=300,
        model=model or fitted_model(),
        periods=periods or {key: period(key) for key in ("30d", "90d", "365d", "all")},
        monthly=[
            {
                "month": f"2026-{m:02d}",
                "customers": 100 + m,
                "active_customers": 20,
                "purchases": 25,
                "revenue": "1800.00",
                "repeat_rate": 0.3 + m / 100,
                "churn_rate": None if m == 3 else 0.05,
                "active_at_start": 40,
                "lapsed": 2,
            }
            for m in range(1, 12)
        ],
        cohorts=[
            {"month": "2025-12", "size": 30, "retention": [0.4, 0.3, 0.25, 0.2] + [0.1] * 8},
            {"month": "2026-10", "size": 12, "retention": [0.5, None] + [None] * 10},
        ],
        tiers=tiers
        if tiers is not None
        else [
            {"tier_id": None, "tier": "", "customers": 60, "historic_clv": "80.00", "predicted_clv": "40.00"},
            {
                "tier_id": gold.pk,
                "tier": "Gold",
                "customers": 60,
                "historic_clv": "300.00",
                "predicted_clv": "160.00",
            },
        ],
    )
    for code in extra_currencies:
        CurrencyInsight.objects.create(
            run=run,
            currency=code,
            customers=5,
            purchases=7,
            model=thin_model(),
            periods={
                key: period(key, current=figures(revenue="777.00")) for key in ("30d", "90d", "365d", "all")
            },
        )
    return insight


def customer(insight: CurrencyInsight, *, member: User | None = None, **overrides: Any) -> CustomerInsight:
    values = {
        "email": member.email if member else "guest@example.com",
        "member": member,
        "purchases": 3,
        "first_purchase": AS_OF - timedelta(days=400),
        "last_purchase": AS_OF - timedelta(days=212),
        "net_revenue": Decimal("240.00"),
        "p_alive": 0.25,
        "expected_purchases_90d": 0.4,
        "expected_order_value": Decimal("80.00"),
        "predicted_clv": Decimal("120.00"),
        "lapsed": True,
        "value_at_risk": Decimal("90.00"),
        "reasons": ["lapsed", "overdue"],
        "reason_details": {
            "lapsed": {"days_since": 212, "now": 0.25},
            "overdue": {"days_since": 212, "usual_interval": 45},
        },
    }
    values.update(overrides)
    return CustomerInsight.objects.create(currency_insight=insight, **values)


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8"))))


@pytest.fixture
def staff():
    return make_member("staffer", groups=["Staff"])


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


# --- who may see -----------------------------------------------------------------------------------


def test_the_permission_belongs_to_staff_only():
    holders = set(
        Group.objects.filter(
            permissions__content_type__app_label="membership", permissions__codename="view_retention"
        ).values_list("name", flat=True)
    )
    assert holders == {"Staff"}


@pytest.mark.parametrize("url", [REPORT, AT_RISK, REPORT + "?export=headline", AT_RISK + "?export=customers"])
def test_only_staff_and_superusers_see_the_pages(client, url):
    stored_run()
    make_member("boss", groups=[])
    User.objects.filter(username="boss").update(is_superuser=True, is_staff=True)
    for username, groups, expected in [
        ("staffer", ["Staff"], 200),
        ("boss", [], 200),
        ("editor", ["Editors"], 403),
        ("moderator", ["Moderators"], 403),
    ]:
        user = User.objects.filter(username=username).first() or make_member(username, groups=groups)
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == expected, (username, url)
        if expected == 403:
            assert "Only staff may see the retention figures." in response.text
    # A signed-in member (no admin access at all) is refused too, not sent to the admin's sign-in;
    # a visitor is asked to sign in.
    client.force_login(make_member("member"))
    response = client.get(url)
    assert response.status_code == 403
    assert "This path is closed to you" in response.text  # the site's own 403 page
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_menu_item_and_the_member_button_show_only_to_permitted_users(client, staff):
    member = make_member("aino")
    client.force_login(staff)
    assert 'href="/admin/retention/"' in client.get("/admin/").text
    assert f"/admin/users/inspect/{member.pk}/#retention" in client.get("/admin/users/").text
    client.force_login(make_member("editor", groups=["Editors"]))
    assert 'href="/admin/retention/"' not in client.get("/admin/").text
    client.force_login(make_member("moderator", groups=["Moderators"]))
    assert "#retention" not in client.get("/admin/users/").text


# --- before any run ----------------------------------------------------------------------------------


def test_before_any_refresh_the_pages_say_how_to_make_one(staff_client):
    for url in (REPORT, AT_RISK):
        page = staff_client.get(url)
        assert page.status_code == 200
        assert "No retention figures yet." in page.text and "manage.py insight_refresh" in page.text
        assert "retention-chart" not in page.text
    assert staff_client.get(REPORT + "?export=headline").status_code == 404
    assert staff_client.get(AT_RISK + "?export=customers").status_code == 404


def test_a_running_or_failed_refresh_never_shows(staff_client):
    stored_run(state=InsightRun.State.RUNNING)
    page = staff_client.get(REPORT)
    assert "The first retention refresh is running" in page.text and "retention-chart" not in page.text
    done = stored_run(as_of=AS_OF - timedelta(days=1))
    stored_run(state=InsightRun.State.FAILED, as_of=AS_OF + timedelta(days=1), currency="SEK")
    page = staff_client.get(REPORT)
    assert page.context["report"].run == done.run
    assert "SEK" not in page.context["report"].currencies


# --- the report ----------------------------------------------------------------------------------------


def test_the_report_draws_every_chart_as_svg_with_its_table(staff_client):
    stored_run()
    page = staff_client.get(REPORT)
    assert page.status_code == 200
    text = page.text
    # No script is needed: the charts are inline SVG images with a title and description.
    for chart_id in (
        "chart-cohorts",
        "chart-monthly",
        "chart-tiers",
        "chart-segments-repeat_rate",
        "chart-programme",
        "chart-holdout",
    ):
        assert f'aria-labelledby="{chart_id}-title {chart_id}-desc"' in text
        assert f'<title id="{chart_id}-title">' in text
    assert text.count('role="img"') >= 8
    assert "<script" not in text.split('id="headline"')[1].split("</main>")[0]
    # Each chart's figures are in a table too.
    for caption in (
        "Cohort retention: share of each month&#x27;s new customers who bought again",
        "Repeat purchase rate and churn by month",
        "Members and non-members, engaged and not engaged",
        "Programme cost and pull",
        "Fitted parameters",
        "Holdout check: repeat purchases in the last 26 weeks, predicted and actual",
    ):
        assert f"<caption>{caption}" in text, caption
    assert "Figures as of" in text
    assert "These are comparisons, not proof of cause" in text
    # Heatmap cells say their share; a month not yet ended is an empty cell.
    assert ">40\u00a0%</text>" in text
    assert 'stroke-dasharray="2 3"' in text


def test_headline_changes_are_told_in_words_and_arrows(staff_client):
    stored_run()
    page = staff_client.get(REPORT + "?period=90d")
    figures_by_key = {figure.key: figure for figure in page.context["figures"]}
    repeat = figures_by_key["repeat_rate"]
    assert repeat.value == "35.0\u00a0%"
    assert (repeat.change.arrow, repeat.change.words, repeat.change.tone) == (
        "▲",
        "up 5.0 points from 30.0\u00a0%",
        "good",
    )
    churn = figures_by_key["churn_rate"].change
    assert (churn.arrow, churn.words, churn.tone) == ("▼", "down 3.0 points from 15.0\u00a0%", "good")
    assert '<span aria-hidden="true">▲</span> up 5.0 points from 30.0' in page.text
    # All time has nothing before it.
    page = staff_client.get(REPORT + "?period=all")
    assert "All time: no earlier period to compare with." in page.text


def test_period_and_currency_switch(staff_client):
    periods = {
        key: period(key, current=figures(revenue=f"{n}000.00")) for n, key in enumerate(PERIOD_KEYS, 1)
    }
    stored_run(periods=periods, extra_currencies=("SEK",))
    page = staff_client.get(REPORT + "?period=30d")
    assert page.context["report"].period_key == "30d" and "1,000.00" in page.text
    page = staff_client.get(REPORT + "?period=365d")
    assert "3,000.00" in page.text
    # Only the run's currencies are offered; the default is the one with most purchases.
    assert page.context["report"].currencies == ["EUR", "SEK"]
    assert '<option value="SEK"' in page.text and '<option value="USD"' not in page.text
    page = staff_client.get(REPORT + "?currency=SEK&period=90d")
    assert page.context["insight"].currency == "SEK" and "777.00" in page.text
    # An unknown period or currency falls back to the defaults, and the page says so.
    page = staff_client.get(REPORT + "?currency=XXX&period=5y")
    assert (page.context["insight"].currency, page.context["report"].period_key) == ("EUR", "90d")
    assert "There is no period “5y”; showing the default." in page.text
    assert "The figures hold no currency “XXX”; showing EUR." in page.text
    page = staff_client.get(AT_RISK + "?currency=XXX")
    assert "The figures hold no currency “XXX”; showing EUR." in page.text


PERIOD_KEYS = ("30d", "90d", "365d", "all")


def test_figures_the_data_cannot_support_show_a_dash_with_why(staff_client):
    periods = {key: period(key, current=figures(churn_rate=None, aov=None)) for key in PERIOD_KEYS}
    tiers = [{"tier_id": None, "tier": "", "customers": 12, "historic_clv": "50.00", "predicted_clv": None}]
    stored_run(model=thin_model(), periods=periods, tiers=tiers)
    page = staff_client.get(REPORT)
    figures_by_key = {figure.key: figure for figure in page.context["figures"]}
    assert figures_by_key["churn_rate"].value == "—" and figures_by_key["churn_rate"].missing
    assert "No figure: no customer in this period gives it a base." in page.text
    # Too thin for the model: said, with the fallback; no parameters, no prediction.
    assert "Too few repeat buyers to fit the model: 3 in this currency" in page.text
    assert "every customer counts as lapsed after 180 days without a purchase (the recency rule)" in page.text
    assert "Fitted parameters" not in page.text
    assert "no predicted CLV, because the model was not fitted" in page.text
    tiers_table = next(section.table for section in page.context["sections"] if section.key == "tiers")
    assert tiers_table.display_rows() == [["Non-members", "12", "50.00", "—"]]


def test_every_table_exports_as_csv_with_the_filters_kept(staff_client):
    stored_run(extra_currencies=("SEK",))
    page = staff_client.get(REPORT + "?currency=EUR&period=30d")
    links = [
        table.export_url
        for table in [page.context["headline_table"]] + [s.table for s in page.context["sections"]]
    ]
    assert all("currency=EUR" in link and "period=30d" in link for link in links)
    for key in (
        "headline",
        "cohorts",
        "monthly",
        "tiers",
        "segments",
        "programme",
        "model",
        "model_data",
        "holdout",
    ):
        response = staff_client.get(REPORT, {"currency": "EUR", "period": "30d", "export": key})
        assert response.status_code == 200, key
        assert response["Content-Type"].startswith("text/csv")
        assert (
            response["Content-Disposition"]
            == f'attachment; filename="retention-{key}-EUR-30d-2026-12-01.csv"'
        )
        assert len(csv_rows(response)) >= 2
    assert staff_client.get(REPORT, {"export": "passwords"}).status_code == 404

    cohorts = csv_rows(staff_client.get(REPORT, {"export": "cohorts"}))
    assert cohorts[0][:3] == ["First purchase in", "Customers", "Month 1 (%)"]
    # Shares as percentages; a month not yet ended is an empty cell, not 0.
    assert cohorts[2][:5] == ["2026-10", "12", "50.0", "", ""]
    monthly = csv_rows(staff_client.get(REPORT, {"export": "monthly"}))
    assert monthly[0][4] == "Net revenue (EUR)" and monthly[1][4] == "1800.00"


def test_csv_cells_cannot_run_as_formulas(staff_client):
    tiers = [
        {
            "tier_id": None,
            "tier": '=HYPERLINK("http://x")',
            "customers": 1,
            "historic_clv": "-5.00",
            "predicted_clv": None,
        }
    ]
    stored_run(tiers=tiers)
    rows = csv_rows(staff_client.get(REPORT, {"export": "tiers"}))
    assert rows[1][0] == '\'=HYPERLINK("http://x")'
    # A negative amount is a number, not text to defuse.
    assert rows[1][2] == "-5.00"
    for dangerous in ("=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(dangerous) == "'" + dangerous
    assert safe_cell("plain") == "plain" and safe_cell(-3) == -3


# --- the at-risk list ----------------------------------------------------------------------------------


def test_the_at_risk_list_ranks_members_by_value_with_reasons_in_words(staff_client):
    insight = stored_run()
    gold = Tier.objects.get(slug="gold")
    juha, liisa, pekka = (make_member(name) for name in ("juha", "liisa", "pekka"))
    customer(insight, member=juha, value_at_risk=Decimal("55.00"), tier=gold)
    customer(
        insight,
        member=liisa,
        value_at_risk=Decimal("140.00"),
        reasons=["negative_review", "points_expiring"],
        reason_details={
            "negative_review": {"rating": 2, "product": "Trail shoe X", "date": "2026-11-20"},
            "points_expiring": {"points": 340, "date": "2026-12-20"},
        },
    )
    customer(insight, member=pekka, value_at_risk=Decimal("500.00"), reasons=[], reason_details={})
    customer(insight, email="guest@example.com", value_at_risk=Decimal("900.00"))

    page = staff_client.get(AT_RISK)
    assert page.status_code == 200
    rows = [item["row"] for item in page.context["rows"]]
    # Members with a reason only; the most value at risk first.
    assert [row.member for row in rows] == [liisa, juha]
    text = page.text
    assert "2★ review of Trail shoe X on 20 Nov 2026" in text
    assert "340 points expire on 20 Dec 2026" in text
    assert "last bought 212 days ago, usually every 45 days" in text
    assert f'href="/admin/users/inspect/{juha.pk}/#retention"' in text
    assert "2 members at risk among 120 customers in EUR." in text


def test_at_risk_filters_and_pages(staff_client):
    insight = stored_run()
    gold = Tier.objects.get(slug="gold")
    for n in range(60):
        customer(
            insight,
            member=make_member(f"m{n}"),
            value_at_risk=Decimal(n),
            tier=gold if n % 2 else None,
            reasons=["engaging_less"] if n % 3 == 0 else ["overdue"],
            reason_details={"engaging_less": {"recent": 1, "before": 8}} if n % 3 == 0 else {},
        )
    page = staff_client.get(AT_RISK, {"tier": gold.pk})
    assert page.context["page"].paginator.count == 30
    page = staff_client.get(AT_RISK, {"reason": "engaging_less"})
    assert page.context["page"].paginator.count == 20
    assert "1 community action in the last 90 days, 8 in the 90 days before" in page.text
    page = staff_client.get(AT_RISK, {"min_value": "50"})
    assert page.context["page"].paginator.count == 10
    page = staff_client.get(AT_RISK, {"tier": gold.pk, "reason": "overdue", "min_value": "30"})
    assert [item["row"].value_at_risk for item in page.context["rows"]] == [
        Decimal(n) for n in (59, 55, 53, 49, 47, 43, 41, 37, 35, 31)
    ]
    # 60 rows, 50 a page; the next page keeps the filters.
    page = staff_client.get(AT_RISK)
    assert len(page.context["rows"]) == 50 and "currency=EUR&amp;page=2" in page.text
    page = staff_client.get(AT_RISK, {"page": 2})
    assert len(page.context["rows"]) == 10 and page.context["rows"][0]["row"].value_at_risk == Decimal(9)
    # A filter that does not validate filters nothing and says why.
    page = staff_client.get(AT_RISK, {"reason": "bored", "min_value": "lots"})
    assert page.context["page"].paginator.count == 60
    assert "Enter a number." in page.text


def test_the_customers_export_streams_everyone_of_the_currency(staff_client):
    insight = stored_run(extra_currencies=("SEK",))
    juha = make_member("juha")
    customer(insight, member=juha, value_at_risk=Decimal("55.00"))
    customer(
        insight,
        email="=cmd|' /C calc'!A0@example.com",
        value_at_risk=Decimal("10.00"),
        reasons=[],
        p_alive=None,
    )
    customer(
        insight,
        email="someone@example.com",
        reasons=["negative_review"],
        reason_details={"negative_review": {"rating": 1, "product": "@SUM(1)", "date": "2026-11-20"}},
    )
    response = staff_client.get(AT_RISK, {"export": "customers", "currency": "EUR"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="retention-customers-EUR-2026-12-01.csv"'
    rows = csv_rows(response)
    assert rows[0] == [
        "Email",
        "Member",
        "Tier",
        "Purchases",
        "First purchase",
        "Last purchase",
        "Net revenue (historic CLV) (EUR)",
        "Probability active (%)",
        "Expected purchases in 90 days",
        "Predicted 12-month CLV (EUR)",
        "Lapsed",
        "Value at risk (EUR)",
        "Reason codes",
        "Reasons",
    ]
    assert len(rows) == 4
    assert rows[1][:2] == ["someone@example.com", ""]
    assert rows[1][-1] == "Negative review: 1★ review of @SUM(1) on 20 Nov 2026"
    assert rows[2] == [
        "juha@example.com",
        "juha",
        "",
        "3",
        "2025-10-27",
        "2026-05-03",
        "240.00",
        "25.0",
        "0.4",
        "120.00",
        "yes",
        "55.00",
        "lapsed overdue",
        "Lapsed: last bought 212 days ago, probability of being active 25\u00a0%; "
        "Overdue: last bought 212 days ago, usually every 45 days",
    ]
    # Cells a spreadsheet would run are defused; no model figure is an empty cell.
    assert rows[3][0] == "'=cmd|' /C calc'!A0@example.com" and rows[3][7] == ""
    # The at-risk list export keeps its filters.
    listed = csv_rows(staff_client.get(AT_RISK, {"export": "at_risk", "reason": "overdue"}))
    assert [row[1] for row in listed[1:]] == ["juha"]


def test_the_export_walks_ties_in_chunks_without_losing_or_repeating_rows():
    insight = stored_run()
    for n in range(23):
        customer(
            insight,
            email=f"c{n}@example.com",
            value_at_risk=Decimal(n % 3),
            net_revenue=Decimal(n % 2),
        )
    chunks = list(selectors.customer_export_rows(insight=insight, chunk_size=4))
    emails = [row["email"] for chunk in chunks for row in chunk]
    assert len(chunks) == 6 and sorted(emails) == sorted(f"c{n}@example.com" for n in range(23))
    everyone = list(CustomerInsight.objects.filter(currency_insight=insight).order_by(*selectors.RANKING))
    assert emails == [row.email for row in everyone]


# --- one member, and the dashboard ----------------------------------------------------------------------


def test_the_member_page_has_a_retention_card_for_staff_only(client, staff):
    insight = stored_run(extra_currencies=("SEK",))
    juha = make_member("juha")
    customer(insight, member=juha)
    sek = CurrencyInsight.objects.get(currency="SEK")
    customer(sek, member=juha, p_alive=None, predicted_clv=None, expected_purchases_90d=None, reasons=[])
    client.force_login(staff)
    page = client.get(f"/admin/users/inspect/{juha.pk}/")
    assert page.status_code == 200
    card = page.context["retention_card"]
    assert [block["code"] for block in card["currencies"]] == ["EUR", "SEK"]
    eur = dict(card["currencies"][0]["figures"])
    assert eur["Probability active"] == "25.0\u00a0%"
    assert eur["Net revenue (historic CLV, EUR)"] == "240.00"
    assert eur["Predicted 12-month CLV (EUR)"] == "120.00"
    assert "last bought 212 days ago, usually every 45 days" in page.text
    sek_figures = dict(card["currencies"][1]["figures"])
    assert sek_figures["Probability active"] == "—" and sek_figures["Predicted 12-month CLV (SEK)"] == "—"
    assert "because the model was not fitted for this currency" in page.text

    nobody = make_member("nobody")
    assert "No purchases recorded for this member." in client.get(f"/admin/users/inspect/{nobody.pk}/").text

    client.force_login(make_member("moderator", groups=["Moderators"]))
    page = client.get(f"/admin/users/inspect/{juha.pk}/")
    assert page.status_code == 200 and "retention_card" not in page.context
    assert 'id="retention"' not in page.text


def test_the_dashboard_panel_shows_three_headline_figures_to_staff(
    client, staff, django_assert_max_num_queries
):
    client.force_login(staff)
    assert "No retention figures yet" in client.get("/admin/").text
    stored_run()
    home = client.get("/admin/")
    text = home.text
    assert "Repeat purchase rate" in text and "35.0\u00a0%" in text
    assert "Churn rate, last 90 days" in text and "12.0\u00a0%" in text
    # The model was fitted: predicted CLV per customer, the tiers' means weighted by customers.
    assert "Predicted 12-month CLV per customer" in text and "100.00" in text
    assert "Open the retention report" in text and "As of" in text
    with django_assert_max_num_queries(2):
        headline = selectors.dashboard_headline()
    assert headline.clv == Decimal("100.00") and headline.clv_predicted

    # Someone who sees the loyalty panel but not retention figures gets no retention block.
    viewer = make_member("viewer")
    viewer.groups.add(Group.objects.get(name="Editors"))
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_pointentry"))
    client.force_login(viewer)
    home = client.get("/admin/")
    assert "Top earning rules" in home.text and "Churn rate, last 90 days" not in home.text


def test_without_a_model_the_dashboard_shows_historic_clv():
    stored_run(model=thin_model())
    headline = selectors.dashboard_headline()
    assert headline.clv == Decimal("143.20") and not headline.clv_predicted


# --- cost ----------------------------------------------------------------------------------------------


def fill(insight: CurrencyInsight, customers: int, members: list[User]) -> None:
    """``customers`` rows, the first ones the members at risk, in batches."""
    batch = []
    for n in range(customers):
        member = members[n] if n < len(members) else None
        batch.append(
            CustomerInsight(
                currency_insight=insight,
                email=member.email if member else f"c{n}@example.com",
                member=member,
                purchases=1 + n % 5,
                first_purchase=AS_OF - timedelta(days=400),
                last_purchase=AS_OF - timedelta(days=n % 300),
                net_revenue=Decimal(n % 500),
                p_alive=0.5,
                expected_purchases_90d=0.3,
                predicted_clv=Decimal("50.00"),
                value_at_risk=Decimal(n % 1000),
                reasons=["lapsed"] if n % 4 == 0 else [],
                reason_details={"lapsed": {"days_since": n % 300}} if n % 4 == 0 else {},
            )
        )
        if len(batch) == 5000:
            CustomerInsight.objects.bulk_create(batch)
            batch = []
    CustomerInsight.objects.bulk_create(batch)


def test_report_and_at_risk_cost_the_same_queries_at_1000_and_100000_customers(
    client, staff, django_assert_max_num_queries
):
    members = User.objects.bulk_create(
        [User(username=f"bulk{n}", email=f"bulk{n}@example.com") for n in range(200)]
    )
    client.force_login(staff)
    counts: dict[int, list[int]] = {}
    for size in (1_000, 100_000):
        CustomerInsight.objects.all().delete()
        InsightRun.objects.all().delete()
        fill(stored_run(), size, members)
        counts[size] = []
        for url, params in (
            (REPORT, {}),
            (AT_RISK, {}),
            (AT_RISK, {"reason": "lapsed", "min_value": "10", "page": "2"}),
        ):
            client.get(url, params)  # warm: session, permissions, content types
            with django_assert_max_num_queries(12), CaptureQueriesContext(connection) as queries:
                response = client.get(url, params)
            assert response.status_code == 200
            counts[size].append(len(queries))
    print("query counts", counts)
    assert counts[1_000] == counts[100_000]


# --- language, charts ------------------------------------------------------------------------------------


def test_finnish_rendering_does_not_crash(client, staff):
    from wagtail.users.models import UserProfile

    insight = stored_run()
    juha = make_member("juha")
    customer(insight, member=juha)
    profile = UserProfile.get_for_user(staff)
    profile.preferred_language = "fi"
    profile.save()
    client.force_login(staff)
    for url in (REPORT, REPORT + "?period=all", AT_RISK, f"/admin/users/inspect/{juha.pk}/", "/admin/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'lang="fi"' in response.text
    # Finnish number format: a decimal comma.
    assert "35,0\u00a0%" in client.get(REPORT).text
    rows = csv_rows(client.get(AT_RISK, {"export": "customers"}))
    assert len(rows) == 2


def test_chart_text_is_escaped():
    svg = charts.bars(
        chart_id="x", title="<script>", desc="a & b", labels=["<b>"], values=[1.0], fmt=lambda v: "<1>"
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&lt;b&gt;" in svg and "&amp;" in svg
    assert charts.nice_ceiling(0) == 1.0 and charts.nice_ceiling(3.2) == 5 and charts.nice_ceiling(120) == 200


def test_pages_never_compute_from_orders(staff_client, django_assert_max_num_queries):
    # A run exists; reading it touches the stored tables only.
    insight = stored_run()
    customer(insight, member=make_member("juha"))
    with CaptureQueriesContext(connection) as queries:
        staff_client.get(REPORT)
        staff_client.get(AT_RISK)
    tables = " ".join(query["sql"] for query in queries.captured_queries)
    assert "membership_order" not in tables and "membership_pointentry" not in tables


# --- end to end ----------------------------------------------------------------------------------------


def test_a_real_refresh_of_shop_orders_shows_on_every_page(client, staff):
    from membership.insight.refresh import insight_refresh
    from membership.services.orders import LineData, order_receive

    juha = make_member("juha", display_name="Juha")
    make_member("aino")

    def buy(order_id: str, email: str, days_ago: int, total: str = "50.00", currency: str = "EUR") -> None:
        when = AS_OF - timedelta(days=days_ago)
        order_receive(
            external_id=order_id,
            email=email,
            status="paid",
            currency=currency,
            total=Decimal(total),
            created_at=when,
            lines=[LineData(sku="NOPE", quantity=1, price=Decimal(total))],
            now=when,
            notify=False,
        )

    buy("o1", "juha@example.com", 300)  # one purchase long ago: lapsed by the recency rule
    buy("o2", "aino@example.com", 200)
    buy("o3", "aino@example.com", 20, "80.00")
    buy("o4", "guest@example.com", 40, "30.00")
    buy("o5", "viking@example.se", 10, "100.00", "SEK")
    run = insight_refresh(now=AS_OF)
    assert run.state == InsightRun.State.DONE

    client.force_login(staff)
    report = client.get(REPORT, {"period": "all"})
    assert report.status_code == 200
    assert report.context["report"].currencies == ["EUR", "SEK"]
    # Three EUR customers, one of them a repeat buyer: far too thin for the model.
    assert "Too few repeat buyers to fit the model: 1 in this currency" in report.text
    assert {figure.key: figure.value for figure in report.context["figures"]}["repeat_rate"] == "33.3\u00a0%"

    at_risk = client.get(AT_RISK)
    listed = {item["row"].member: item["reasons"] for item in at_risk.context["rows"]}
    assert juha in listed
    assert str(listed[juha][0]) == "Lapsed: last bought 300 days ago"

    rows = csv_rows(client.get(AT_RISK, {"export": "customers", "currency": "EUR"}))
    assert sorted(row[0] for row in rows[1:]) == ["aino@example.com", "guest@example.com", "juha@example.com"]

    card = client.get(f"/admin/users/inspect/{juha.pk}/").context["retention_card"]
    figures_eur = dict(card["currencies"][0]["figures"])
    assert figures_eur["Purchases"] == "1" and figures_eur["Lapsed"] == "yes"
    assert figures_eur["Probability active"] == "—"


@pytest.mark.django_db(transaction=True)
async def test_under_asgi_the_export_streams_one_chunk_at_a_time(async_client, migrated_rows, monkeypatch):
    from asgiref.sync import sync_to_async

    def build() -> User:
        insight = stored_run()
        for n in range(5):
            customer(insight, email=f"c{n}@example.com", value_at_risk=Decimal(n))
        # A superuser: an earlier transactional test's flush may have taken the permission rows
        # the Staff group holds, and this test is about streaming, not about who may look.
        staffer = make_member("staffer", groups=["Staff"])
        User.objects.filter(pk=staffer.pk).update(is_superuser=True)
        return User.objects.get(pk=staffer.pk)

    staff = await sync_to_async(build)()
    # Two rows a query, so five rows take three queries, each made as the body is sent.
    monkeypatch.setitem(selectors.customer_export_rows.__kwdefaults__, "chunk_size", 2)
    await async_client.aforce_login(staff)
    response = await async_client.get(AT_RISK, {"export": "customers"})
    assert response.status_code == 200 and response.streaming and response.is_async
    parts = [part async for part in response.streaming_content]
    assert len(parts) == 4  # the header, then one part per chunk
    rows = list(csv.reader(io.StringIO(b"".join(parts).decode("utf-8"))))
    assert [row[0] for row in rows[1:]] == [f"c{n}@example.com" for n in (4, 3, 2, 1, 0)]
