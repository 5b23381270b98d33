"""Membership's pages: public profiles, the leaderboard, badges, rewards (with the step that
confirms a redemption, and the ways to earn points), profile settings, notifications and
referral links (``/r/<code>/``)."""

from django.urls import path

from . import views

app_name = "membership"

urlpatterns = [
    path("members/<str:username>/", views.profile, name="profile"),
    path("leaderboard/", views.leaderboard, name="leaderboard"),
    path("badges/", views.badges, name="badges"),
    path("rewards/", views.rewards, name="rewards"),
    path("rewards/earn/", views.ways_to_earn, name="ways_to_earn"),
    path("rewards/<int:reward_id>/redeem/", views.reward_confirm, name="reward_confirm"),
    path("settings/profile/", views.profile_settings, name="profile_settings"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:notification_id>/open/", views.notification_open, name="notification_open"),
    path("notifications/read-all/", views.notifications_read_all, name="notifications_read_all"),
    path("r/<str:code>/", views.referral, name="referral"),
]
