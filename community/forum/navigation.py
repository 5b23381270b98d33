"""The forum's section of the site's main navigation (content/navigation.py)."""

from django.utils.translation import gettext_lazy as _

from content.navigation import NavSection

NAV_SECTIONS = [NavSection("forum", _("Forum"), url_name="community:forum_index", order=30)]
