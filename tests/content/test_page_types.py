"""Every page type: tree rules, rendering, and creation by an editor in the admin."""

from __future__ import annotations

from wagtail.models import Page, Site
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from content.models import (
    BlogIndexPage,
    BlogPostPage,
    BuyingGuidePage,
    GuideIndexPage,
    HomeFeaturedGuide,
    HomePage,
)
from tests.content.conftest import guide_body, make_product, publish
from tests.factories import make_member


class PageTypeTests(WagtailPageTestCase):
    @classmethod
    def setUpTestData(cls):
        root = Page.get_first_root_node()
        cls.home = HomePage(title="Polku", slug="polku-home", hero_heading="Find your trail")
        root.add_child(instance=cls.home)
        cls.home.save_revision().publish()
        Site.objects.update(root_page=cls.home, hostname="testserver", port=80)
        cls.guides = publish(cls.home, GuideIndexPage(title="Guides", slug="guides"))
        cls.blog = publish(cls.home, BlogIndexPage(title="Blog", slug="blog"))
        products = [make_product(), make_product()]
        cls.products = products
        cls.guide = publish(
            cls.guides,
            BuyingGuidePage(title="Tyres", slug="tyres", intro="Studs.", body=guide_body(products)),
        )
        cls.post = publish(cls.blog, BlogPostPage(title="Hello", slug="hello", intro="Snow."))
        cls.editor = make_member("editor", groups=["Editors"])

    def test_tree_rules(self):
        self.assertAllowedParentPageTypes(HomePage, {Page})
        self.assertAllowedParentPageTypes(GuideIndexPage, {HomePage})
        self.assertAllowedParentPageTypes(BlogIndexPage, {HomePage})
        self.assertAllowedParentPageTypes(BuyingGuidePage, {GuideIndexPage})
        self.assertAllowedParentPageTypes(BlogPostPage, {BlogIndexPage})
        self.assertAllowedSubpageTypes(BuyingGuidePage, set())
        self.assertAllowedSubpageTypes(BlogPostPage, set())
        self.assertCanNotCreateAt(HomePage, BuyingGuidePage)
        self.assertCanNotCreateAt(GuideIndexPage, BlogPostPage)

    def test_every_page_type_renders(self):
        for page in [self.home, self.guides, self.blog, self.guide, self.post]:
            self.assertPageIsRenderable(page)
        self.assertPageIsRoutable(self.guides, "feed/")
        self.assertPageIsRoutable(self.blog, "feed/")

    def test_editor_can_create_a_guide_with_a_product_pick_as_a_draft(self):
        self.client.force_login(self.editor)
        product = self.products[0]
        data = nested_form_data(
            {
                "title": "Best bike lights",
                "slug": "best-bike-lights",
                "intro": "See and be seen in the polar night.",
                "last_reviewed": "2026-11-01",
                "tags": "lights, winter",
                "body": streamfield(
                    [
                        ("heading", {"text": "Our picks", "level": "h2", "anchor": ""}),
                        (
                            "product_pick",
                            {
                                "award": "Best overall",
                                "product": product.pk,
                                "verdict": "Bright and dependable.",
                                "pros": streamfield([("item", "Bright")]),
                                "cons": streamfield([]),
                                "best_for": "Commuters",
                                "cta_text": "",
                                "cta_url": "",
                            },
                        ),
                    ]
                ),
            }
        )
        self.assertCanCreate(self.guides, BuyingGuidePage, data, publish=False)
        guide = BuyingGuidePage.objects.get(slug="best-bike-lights")
        self.assertFalse(guide.live)
        picks = [
            block
            for block in guide.get_latest_revision_as_object().body
            if block.block_type == "product_pick"
        ]
        self.assertEqual(picks[0].value["product"], product)

    def test_editor_can_create_a_blog_post(self):
        self.client.force_login(self.editor)
        data = nested_form_data(
            {
                "title": "Ski season opens",
                "slug": "ski-season-opens",
                "intro": "Tracks are open in Paloheinä.",
                "date": "2026-11-20",
                "tags": "skiing",
                "body": streamfield([("paragraph", rich_text("<p>See you on the tracks.</p>"))]),
            }
        )
        self.assertCanCreate(self.blog, BlogPostPage, data, publish=False)

    def test_home_page_shows_chosen_guides_and_falls_back_to_the_newest(self):
        response = self.client.get(self.home.url)
        self.assertEqual(list(response.context["featured_guides"]), [self.guide])
        self.assertEqual(list(response.context["latest_posts"]), [self.post])
        other = publish(self.guides, BuyingGuidePage(title="Skis", slug="skis", intro="Glide.", body="[]"))
        HomeFeaturedGuide.objects.create(page=self.home, guide=other)
        response = self.client.get(self.home.url)
        self.assertEqual(list(response.context["featured_guides"]), [other])
        self.assertContains(response, "Skis")
        # Only one home page per site.
        self.assertFalse(HomePage.can_create_at(Page.get_first_root_node()))
