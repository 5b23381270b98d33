from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index


class HomePage(Page):
    """The store community's front page."""

    hero_heading = models.CharField(
        _("hero heading"),
        max_length=120,
        help_text=_("The big line at the top of the home page. Keep it under ten words."),
    )
    hero_text = models.TextField(
        _("hero text"),
        max_length=400,
        blank=True,
        help_text=_("One or two sentences under the heading: who this place is for."),
    )
    hero_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("hero image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("A wide landscape photo, at least 1600 pixels across. Set its focal point."),
    )
    hero_cta_text = models.CharField(
        _("button text"),
        max_length=40,
        blank=True,
        help_text=_("Text of the button in the hero, e.g. “Join the community”."),
    )
    hero_cta_url = models.CharField(
        _("button link"),
        max_length=300,
        blank=True,
        help_text=_("Where the button goes: a path such as /accounts/signup/ or a full URL."),
    )
    intro = RichTextField(
        _("introduction"),
        blank=True,
        features=["bold", "italic", "link", "ol", "ul"],
        help_text=_("A short welcome shown under the hero."),
    )

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [
                FieldPanel("hero_heading"),
                FieldPanel("hero_text"),
                FieldPanel("hero_image"),
                FieldPanel("hero_cta_text"),
                FieldPanel("hero_cta_url"),
            ],
            heading=_("Hero"),
        ),
        FieldPanel("intro"),
    ]
    search_fields = Page.search_fields + [index.SearchField("hero_text"), index.SearchField("intro")]

    parent_page_types = ["wagtailcore.Page"]
    max_count = 1
    page_description = _("The front page of the community site. There is exactly one.")

    class Meta:
        verbose_name = _("home page")
