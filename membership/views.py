"""Membership's pages: public profiles and the member's own settings, notifications, the
leaderboard, badges, rewards (and redeeming one), referral links (``/r/<code>/``), and the
sign-in view and 429 page that answer a refusal by a limit (membership/account_limits.py)."""

import re
import secrets

from allauth.account import views as allauth_views
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from . import selectors
from .account_limits import REFUSED, refusal_message, try_again_message
from .campaigns.consent import email_preferences_set
from .devices import attribution_set, client_ip_hash, device_id_ensure
from .forms import ProfileForm
from .http import AuthenticatedHttpRequest
from .languages import in_member_language
from .profile_registry import profile_sections
from .services.notifications import notification_open as notification_open_service
from .services.notifications import notifications_mark_read
from .services.profiles import profile_birthday_set, profile_update
from .services.referrals import ReferralVisitLimited, referral_visit_record
from .services.rewards import InsufficientPoints, RewardUnavailable, reward_redeem
from .shops.coupons import redemption_in_shops

TOO_MANY_REQUESTS = 429


def profile(request: HttpRequest, username: str) -> HttpResponse:
    member = selectors.member_get_public(username=username)
    if member is None:
        raise Http404(_("No member with that name."))
    if member.username != username:
        return redirect(member, permanent=True)
    is_self = request.user.is_authenticated and request.user.pk == member.pk
    standing = selectors.member_standing(member=member)
    return render(
        request,
        "membership/profile.html",
        {
            "member": member,
            "is_self": is_self,
            "standing": standing,
            "progress": selectors.tier_progress(standing=standing),
            # Balances and history are the member's own business.
            "history": selectors.points_history(member=member) if is_self else None,
            "badges": selectors.member_badges(member=member),
            # The member's own progress toward each badge's next level (one counter each).
            "badge_progress": [
                entry
                for entry in selectors.badge_catalogue(member=member, with_holders=False)
                if entry["next"] and 0 < entry["count"] < entry["next"]["threshold"]
            ]
            if is_self
            else None,
            "sections": profile_sections(member=member, viewer=request.user, is_self=is_self),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile_settings(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, request.FILES or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        profile_update(
            member=request.user,
            display_name=form.cleaned_data["display_name"],
            bio=form.cleaned_data["bio"],
            avatar=form.cleaned_data.get("avatar_upload"),
            remove_avatar=form.cleaned_data.get("remove_avatar", False),
            show_on_leaderboard=form.cleaned_data["show_on_leaderboard"],
        )
        profile_birthday_set(
            member=request.user, day=form.cleaned_data["birth_day"], month=form.cleaned_data["birth_month"]
        )
        email_preferences_set(
            member=request.user,
            marketing_consent=form.cleaned_data["marketing_consent"],
            service_email=form.cleaned_data["service_email"],
            language=form.cleaned_data["language"],
        )
        # The page after this one is in the language just chosen.
        with in_member_language(request.user):
            messages.success(request, _("Your profile is saved."))
        return redirect("membership:profile", username=request.user.username)
    if request.method == "POST":
        # The ModelForm wrote the rejected values onto request.user; show the stored ones.
        request.user.refresh_from_db()
    return render(request, "membership/profile_settings.html", {"form": form})


@login_required
def notifications(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(selectors.notifications_for(member=request.user), 30).get_page(request.GET.get("page"))
    return render(
        request,
        "membership/notifications.html",
        {"page_obj": page, "unread": selectors.notifications_unread_count(member=request.user)},
    )


@login_required
@require_POST
def notifications_read_all(request: AuthenticatedHttpRequest) -> HttpResponse:
    changed, _remaining = notifications_mark_read(member=request.user)
    if changed:
        messages.success(request, _("All notifications are marked as read."))
    return redirect("membership:notifications")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def notification_open(request: AuthenticatedHttpRequest, notification_id: int) -> HttpResponse:
    """Open one notification: it is marked read (in every tab of the member) and the member
    goes where it leads. A plain link so that it works without JavaScript, in a new tab and
    from a toast; marking read is idempotent and only ever the member's own, so a GET doing
    it is safe. POST serves the "Mark as read" button of a notification that leads nowhere."""
    target = notification_open_service(member=request.user, notification_id=notification_id)
    if target is None:
        raise Http404(_("No such notification."))
    return redirect(target or "membership:notifications")


def leaderboard(request: HttpRequest) -> HttpResponse:
    period = request.GET.get("period", "all")
    if period not in selectors.LEADERBOARD_PERIODS:
        period = "all"
    return render(
        request,
        "membership/leaderboard.html",
        {
            "rows": selectors.leaderboard(period=period),
            "period": period,
            "days": selectors.LEADERBOARD_PERIODS[period],
        },
    )


def badges(request: HttpRequest) -> HttpResponse:
    member = request.user if request.user.is_authenticated else None
    return render(request, "membership/badges.html", {"catalogue": selectors.badge_catalogue(member=member)})


# The confirmation form's token: the same token twice (a double click, a replayed POST) buys
# one coupon (services.rewards.reward_redeem's ``request_key``).
REDEEM_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def redeem_token_new() -> str:
    return secrets.token_urlsafe(24)


@require_http_methods(["GET", "POST"])
def rewards(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return reward_redeem_submit(request)
    member = request.user if request.user.is_authenticated else None
    standing = selectors.member_standing(member=member) if member else None
    return render(
        request,
        "membership/rewards.html",
        {
            "rows": selectors.reward_offers(member=member, standing=standing),
            "standing": standing,
            "redemptions": selectors.redemptions_for(member=member)[:20] if member else [],
            # One token for the page's confirmation dialogs: it is keyed with the reward, and
            # the page after a redemption has a new one.
            "redeem_token": redeem_token_new() if member else "",
        },
    )


def reward_redeem_submit(request: HttpRequest) -> HttpResponse:
    """The confirmation form's POST (the confirm page's, or the dialog's on the rewards page).
    A POST without the form's token (an old one-click form) spends nothing: it is sent to the
    confirmation step."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        reward_id = int(request.POST.get("reward", ""))
    except ValueError:
        messages.error(request, _("Choose a reward to redeem."))
        return redirect("membership:rewards")
    token = request.POST.get("token", "")
    if not REDEEM_TOKEN_PATTERN.fullmatch(token):
        return redirect("membership:reward_confirm", reward_id=reward_id)
    try:
        redemption = reward_redeem(member=request.user, reward_id=reward_id, request_key=token)
    except (RewardUnavailable, InsufficientPoints) as exc:
        messages.error(request, str(exc))
    else:
        if redemption_in_shops(redemption):
            messages.success(
                request,
                _("Redeemed: %(reward)s. Your coupon code appears below once the shop accepts it.")
                % {"reward": redemption.reward.name},
            )
        else:
            messages.success(
                request,
                _("Redeemed: %(reward)s. Your coupon code is %(code)s.")
                % {"reward": redemption.reward.name, "code": redemption.coupon_code},
            )
    return redirect("membership:rewards")


@require_safe
def reward_confirm(request: HttpRequest, reward_id: int) -> HttpResponse:
    """The step before spending points, for browsers without JavaScript (with it, the rewards
    page asks the same in a dialog): what the reward costs, what is left after, how long the
    coupon is valid, and the form that redeems it."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    offer = selectors.reward_offer(member=request.user, reward_id=reward_id)
    if offer is None:
        messages.error(request, _("This reward is not available any more."))
        return redirect("membership:rewards")
    return render(
        request, "membership/reward_confirm.html", {"offer": offer, "redeem_token": redeem_token_new()}
    )


@require_safe
def ways_to_earn(request: HttpRequest) -> HttpResponse:
    """Every active earning rule with its points and caps, and the tiers' multipliers: the
    figures staff set in the admin."""
    return render(request, "membership/ways_to_earn.html", selectors.earning_rules_public())


@require_safe
def referral(request: HttpRequest, code: str) -> HttpResponse:
    """A referral link: record the visit, keep the attribution for the sign-up, and send the
    visitor on with a word about who invited them."""
    link = selectors.referral_link_by_code(code=code)
    if link is None:
        raise Http404(_("This invitation link does not exist."))
    visitor = request.user if request.user.is_authenticated else None
    try:
        visit = referral_visit_record(
            link=link, device_id=device_id_ensure(request), ip_hash=client_ip_hash(request), visitor=visitor
        )
    except ReferralVisitLimited as limited:
        message = _("Too many invitation links were opened from your network address.")
        return too_many_requests_page(request, f"{message} {try_again_message(limited.retry_at)}")
    referrer = link.member.name
    if visitor is not None:
        if visitor.pk == link.member_id:
            messages.info(request, _("This is your own invitation link. Share it with friends!"))
        else:
            messages.info(
                request,
                _("%(name)s invited you, and you are already one of us. Welcome back!") % {"name": referrer},
            )
        return redirect("/")
    messages.info(
        request,
        _(
            "%(name)s invited you to join the community. Sign up below: when your first order "
            "is past the return window, you both get points."
        )
        % {"name": referrer},
    )
    response = redirect("account_signup")
    attribution_set(response, code=link.code, visit_id=visit.pk)
    return response


# --- Sign-in and the limits' answers ------------------------------------------------------


class LoginView(allauth_views.LoginView):
    """allauth's sign-in; a refusal by a limit (membership/account_limits.py) is answered
    429 with the form and the message naming when to try again."""

    def form_invalid(self, form) -> HttpResponse:
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, code=REFUSED):
            response.status_code = TOO_MANY_REQUESTS
        return response

    @classmethod
    def refused(cls, request: HttpRequest, message: str) -> HttpResponse:
        """The sign-in page, empty but for the typed name, with ``message``, answered 429."""
        view = cls()
        view.setup(request)
        form = view.get_form_class()(request=request, initial={"login": request.POST.get("login", "")})
        messages.error(request, message)
        return view.render_to_response(view.get_context_data(form=form), status=TOO_MANY_REQUESTS)


def too_many_requests_page(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "429.html", {"message": message}, status=TOO_MANY_REQUESTS)


def too_many_requests(request: HttpRequest) -> HttpResponse:
    """allauth's answer when one of its per-request limits (``ACCOUNT_RATE_LIMITS``: every
    sign-in attempt, sign-ups, password resets …) refuses a request: ``hub.urls.handler429``."""
    match = request.resolver_match
    action = {
        "account_login": "login",
        "account_signup": "signup",
        "account_reset_password": "reset_password",
        "account_reset_password_from_key": "reset_password_from_key",
    }.get((match.url_name or "") if match else "", "")
    message = refusal_message(request, action=action)
    if action == "login":
        return LoginView.refused(request, message)
    return too_many_requests_page(request, message)
