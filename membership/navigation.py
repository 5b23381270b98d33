"""The leaderboard's section of the site's main navigation (content/navigation.py)."""

from django.utils.translation import gettext_lazy as _

from content.navigation import NavSection

NAV_SECTIONS = [NavSection("leaderboard", _("Leaderboard"), url_name="membership:leaderboard", order=50)]
