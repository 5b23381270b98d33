"""Membership's sections of the site's main navigation (content/navigation.py): the
leaderboard, and rewards, whose pages (ways to earn, badges) link to each other through
templates/membership/loyalty_nav.html."""

from django.utils.translation import gettext_lazy as _

from content.navigation import NavSection

NAV_SECTIONS = [
    NavSection("leaderboard", _("Leaderboard"), url_name="membership:leaderboard", order=50),
    NavSection("rewards", _("Rewards"), url_name="membership:rewards", order=60),
]
