"""StreamField blocks of every page body.

One ``BaseStreamBlock`` for buying guides, blog posts and event descriptions, and
``RecapStreamBlock`` (the same blocks and an answered question) for event recaps. Each block
an editor picks renders through its own template in ``templates/blocks/`` and has an icon and
a description; all but the embed show the editor a preview (those showing a product or a
photo, only once the site has one).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images import get_image_model
from wagtail.images.blocks import ImageChooserBlock
from wagtail.snippets.blocks import SnippetChooserBlock

RICH_TEXT_FEATURES = ["bold", "italic", "link", "ol", "ul", "h3", "h4", "superscript", "subscript"]
ANSWER_FEATURES = ["bold", "italic", "link", "ol", "ul"]


class ListItemCharBlock(blocks.CharBlock):
    """A CharBlock for a ListBlock's items. Wagtail labels a block's inputs only inside a
    StructBlock, so a list of bare CharBlocks (pros, cons, a comparison row's values) rendered
    as unlabelled inputs; the label becomes the input's accessible name. The stored data is
    the same as a CharBlock's."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.meta.label:
            self.field.widget.attrs["aria-label"] = self.meta.label

    def deconstruct(self):
        # The label only names the admin's input; migrations keep recording the plain
        # CharBlock the content was saved with, so this needs no migration of every body.
        _path, args, kwargs = super().deconstruct()
        kwargs = {key: value for key, value in kwargs.items() if key != "label"}
        return "wagtail.blocks.CharBlock", args, kwargs


def _preview_products(chooser: SnippetChooserBlock, count: int) -> list:
    """Products with a photo for an editor's preview, from the model the chooser picks."""
    return list(chooser.target_model.objects.exclude(image=None).order_by("pk")[:count])


class HeadingBlock(blocks.StructBlock):
    text = blocks.CharBlock(
        label=_("Heading"), max_length=120, help_text=_("Shown in the table of contents too.")
    )
    level = blocks.ChoiceBlock(
        label=_("Level"),
        choices=[("h2", _("Section (H2)")), ("h3", _("Subsection (H3)"))],
        default="h2",
        help_text=_("Sections appear in the table of contents; subsections are indented under them."),
    )
    anchor = blocks.CharBlock(
        label=_("Anchor"),
        required=False,
        max_length=60,
        help_text=_("The #link to this heading. Leave empty to make one from the heading text."),
    )

    class Meta:
        icon = "title"
        template = "blocks/heading_block.html"
        label = _("Heading")
        description = _("A section heading, listed in the guide's table of contents.")
        preview_value = {"text": "Studded or friction tyres?", "level": "h2", "anchor": ""}

    def clean(self, value):
        value = super().clean(value)
        if value.get("anchor") and slugify(value["anchor"]) != value["anchor"]:
            raise StructBlockValidationError(
                {"anchor": ValidationError(_("Use lowercase letters, numbers and hyphens only."))}
            )
        return value


class ImageBlock(blocks.StructBlock):
    image = ImageChooserBlock(label=_("Image"), help_text=_("Set a focal point so crops keep the subject."))
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=250)
    alt = blocks.CharBlock(
        label=_("Alternative text"),
        required=False,
        max_length=250,
        help_text=_("Describe the image for people who can't see it. Leave empty if it is decorative."),
    )
    width = blocks.ChoiceBlock(
        label=_("Width"),
        choices=[("text", _("Text width")), ("wide", _("Wide"))],
        default="text",
    )

    class Meta:
        icon = "image"
        template = "blocks/image_block.html"
        label = _("Image")
        description = _("A photo with an optional caption.")

    def get_preview_value(self):
        image = get_image_model().objects.order_by("-created_at").first()
        if image is None:
            return None
        return self.to_python(
            {"image": image.pk, "caption": "Caption under the photo", "alt": "", "width": "text"}
        )


class ProductPickBlock(blocks.StructBlock):
    award = blocks.CharBlock(
        label=_("Award"),
        required=False,
        max_length=40,
        help_text=_("A short label such as “Best overall” or “Best value”."),
    )
    product = SnippetChooserBlock("content.Product", label=_("Product"))
    verdict = blocks.TextBlock(
        label=_("Verdict"), max_length=600, help_text=_("Two or three sentences: why this product, honestly.")
    )
    pros = blocks.ListBlock(
        ListItemCharBlock(max_length=120, label=_("Pro")), label=_("Pros"), min_num=1, max_num=6
    )
    # default=[]: otherwise the editor starts with one empty, required item and cannot save a
    # pick that honestly has no cons.
    cons = blocks.ListBlock(
        ListItemCharBlock(max_length=120, label=_("Con")), label=_("Cons"), min_num=0, max_num=6, default=[]
    )
    best_for = blocks.CharBlock(
        label=_("Best for"), max_length=120, help_text=_("Who should buy it, e.g. “daily winter commuters”.")
    )
    cta_text = blocks.CharBlock(
        label=_("Button text"),
        required=False,
        max_length=40,
        help_text=_("Defaults to “See it in the store”."),
    )
    cta_url = blocks.URLBlock(
        label=_("Button link"), required=False, help_text=_("Defaults to the product's store link.")
    )

    class Meta:
        icon = "pick"
        template = "blocks/product_pick_block.html"
        label = _("Product pick")
        description = _("A recommended product with verdict, pros and cons and a call to action.")

    def get_preview_value(self):
        # Previews show a real product from the catalogue; with none yet, no preview.
        product = _preview_products(self.child_blocks["product"], 1)
        if not product:
            return None
        return self.to_python(
            {
                "award": "Best overall",
                "product": product[0].pk,
                "verdict": "Dependable grip on ice and quiet on dry roads.",
                "pros": ["Grips on sheet ice", "Long-lasting studs"],
                "cons": ["Heavier than friction tyres"],
                "best_for": "Daily winter commuters",
                "cta_text": "",
                "cta_url": "",
            }
        )


class ComparisonRowBlock(blocks.StructBlock):
    label = blocks.CharBlock(label=_("Row label"), max_length=60, help_text=_("e.g. “Weight” or “Studs”."))
    values = blocks.ListBlock(
        ListItemCharBlock(max_length=120, label=_("Value")),
        label=_("Values"),
        help_text=_("One value per product, in the same order as the products above."),
    )


class ComparisonTableBlock(blocks.StructBlock):
    title = blocks.CharBlock(label=_("Title"), required=False, max_length=120)
    products = blocks.ListBlock(
        SnippetChooserBlock("content.Product"),
        label=_("Products"),
        min_num=2,
        max_num=6,
        help_text=_("The columns of the table. Name, image and price are shown automatically."),
    )
    rows = blocks.ListBlock(ComparisonRowBlock(), label=_("Rows"), min_num=1)

    class Meta:
        icon = "table"
        template = "blocks/comparison_table_block.html"
        label = _("Comparison table")
        description = _("Products side by side, with rows you define.")

    def get_preview_value(self):
        products = _preview_products(self.child_blocks["products"].child_block, 3)
        if len(products) < 2:
            return None
        return self.to_python(
            {
                "title": "At a glance",
                "products": [product.pk for product in products],
                "rows": [{"label": "Best for", "values": ["Commuting", "Trails", "Racing"][: len(products)]}],
            }
        )

    def clean(self, value):
        value = super().clean(value)
        columns = len(value["products"])
        for index, row in enumerate(value["rows"], start=1):
            if len(row["values"]) != columns:
                raise StructBlockValidationError(
                    {
                        "rows": ValidationError(
                            ngettext(
                                "Row %(row)s (“%(label)s”) has %(values)s values for %(columns)s product.",
                                "Row %(row)s (“%(label)s”) has %(values)s values for %(columns)s products.",
                                columns,
                            ),
                            params={
                                "row": index,
                                "label": row["label"],
                                "values": len(row["values"]),
                                "columns": columns,
                            },
                        )
                    }
                )
        return value


class FAQItemBlock(blocks.StructBlock):
    question = blocks.CharBlock(label=_("Question"), max_length=200)
    answer = blocks.RichTextBlock(label=_("Answer"), features=ANSWER_FEATURES)


class FAQBlock(blocks.StructBlock):
    title = blocks.CharBlock(
        label=_("Title"), required=False, default="Frequently asked questions", max_length=120
    )
    items = blocks.ListBlock(FAQItemBlock(), label=_("Questions"), min_num=1)

    class Meta:
        icon = "help"
        template = "blocks/faq_block.html"
        label = _("FAQ")
        description = _("Questions and answers, also given to search engines as an FAQ.")
        preview_value = {
            "title": "Frequently asked questions",
            "items": [
                {
                    "question": "When should I fit studded tyres?",
                    "answer": "<p>When nights drop below zero.</p>",
                },
                {
                    "question": "Are studs legal on bike paths?",
                    "answer": "<p>Yes, everywhere in Finland.</p>",
                },
            ],
        }


class CalloutBlock(blocks.StructBlock):
    tone = blocks.ChoiceBlock(
        label=_("Tone"),
        choices=[("tip", _("Tip")), ("note", _("Note")), ("warning", _("Warning"))],
        default="tip",
    )
    title = blocks.CharBlock(label=_("Title"), required=False, max_length=80)
    text = blocks.RichTextBlock(label=_("Text"), features=ANSWER_FEATURES)

    class Meta:
        icon = "warning"
        template = "blocks/callout_block.html"
        label = _("Callout")
        description = _("A highlighted tip, note or warning.")
        preview_value = {
            "tone": "tip",
            "title": "Workshop tip",
            "text": "<p>Check stud wear every spring.</p>",
        }


class QuoteBlock(blocks.StructBlock):
    text = blocks.TextBlock(label=_("Quote"), max_length=600)
    attribution = blocks.CharBlock(label=_("Who said it"), required=False, max_length=120)

    class Meta:
        icon = "openquote"
        template = "blocks/quote_block.html"
        label = _("Quote")
        description = _("A pull quote from a tester, customer or expert.")
        preview_value = {
            "text": "The best tyre is the one you actually ride.",
            "attribution": "Otto, workshop lead",
        }


class EmbedWithCaptionBlock(blocks.StructBlock):
    embed = EmbedBlock(label=_("Link"), help_text=_("A YouTube or Vimeo link, for example."))
    caption = blocks.CharBlock(label=_("Caption"), required=False, max_length=250)

    class Meta:
        icon = "media"
        template = "blocks/embed_block.html"
        label = _("Video or embed")
        description = _("A video or other embeddable media from a link.")


class BaseStreamBlock(blocks.StreamBlock):
    paragraph = blocks.RichTextBlock(
        label=_("Text"),
        features=RICH_TEXT_FEATURES,
        icon="pilcrow",
        template="blocks/paragraph_block.html",
        description=_("Paragraphs of text with links and lists."),
        preview_value="<p>Winter tyres decide whether you ride in January at all.</p>",
    )
    heading = HeadingBlock()
    image = ImageBlock()
    product_pick = ProductPickBlock()
    comparison_table = ComparisonTableBlock()
    faq = FAQBlock()
    callout = CalloutBlock()
    quote = QuoteBlock()
    embed = EmbedWithCaptionBlock()


# --- Event recaps ---------------------------------------------------------------------------


class AnsweredQuestionBlock(blocks.StructBlock):
    """One question from a live event's Q&A, credited to its asker, with the answer the
    editor writes up afterwards."""

    question = blocks.TextBlock(label=_("Question"), max_length=500)
    asker = blocks.CharBlock(
        label=_("Asked by"),
        required=False,
        max_length=120,
        help_text=_("Empty when the member asked anonymously."),
    )
    votes = blocks.IntegerBlock(label=_("Votes"), required=False, min_value=0)
    answer = blocks.RichTextBlock(
        label=_("Answer"), features=ANSWER_FEATURES, required=False, help_text=_("What the hosts answered.")
    )

    class Meta:
        icon = "help"
        template = "blocks/answered_question_block.html"
        label = _("Answered question")
        description = _("A question from the live Q&A with its answer.")
        preview_value = {
            "question": "How often should I wax classic skis?",
            "asker": "Aino Virtanen",
            "votes": 12,
            "answer": "<p>Grip wax every outing in cold snow; glide wax every few weeks.</p>",
        }


class RecapStreamBlock(BaseStreamBlock):
    answered_question = AnsweredQuestionBlock()
