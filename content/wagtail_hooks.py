"""Wagtail admin: snippet viewsets and the guardrails of the Guide review workflow."""

import django_filters
from django.contrib import messages
from django.shortcuts import redirect
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from taggit.models import Tag
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import Author, BuyingGuidePage, GuideCategory, GuideIndexPage, Product
from .workflows import guide_review_assign


class ProductFilterSet(WagtailFilterSet):
    brand = django_filters.AllValuesFilter(field_name="brand", label=_("Brand"))
    tag = django_filters.ModelChoiceFilter(
        field_name="tags",
        label=_("Tag"),
        # django-filter takes a callable of the request; its stubs expect the queryset itself.
        queryset=lambda request: Tag.objects.filter(product__isnull=False).distinct().order_by("name"),  # type: ignore[arg-type]
    )

    class Meta:
        model = Product
        fields = ["brand", "is_sustainable", "currency", "tag"]


class ProductViewSet(SnippetViewSet):
    model = Product
    icon = "tag"
    menu_label = _("Products")
    list_display = ["name", "sku", "brand", "price", "currency", "is_sustainable", "updated_at"]
    list_export = Product.CSV_FIELDS
    export_filename = "products"
    filterset_class = ProductFilterSet
    search_fields = ["name", "brand", "sku", "short_description"]
    ordering = ["name"]
    list_per_page = 50


class AuthorViewSet(SnippetViewSet):
    model = Author
    icon = "user"
    menu_label = _("Authors")
    list_display = ["name", "role"]
    search_fields = ["name", "role"]


class GuideCategoryViewSet(SnippetViewSet):
    model = GuideCategory
    icon = "folder-open-inverse"
    menu_label = _("Guide categories")
    list_display = ["name", "slug", "sort_order"]


class CatalogueGroup(SnippetViewSetGroup):
    menu_label = _("Catalogue")
    menu_icon = "tag"
    menu_order = 250
    items = (ProductViewSet, AuthorViewSet, GuideCategoryViewSet)


register_snippet(CatalogueGroup)


@hooks.register("after_create_page")
def attach_guide_review(request, page):
    # A new guide index (there is one per site) puts all its guides under review.
    if isinstance(page.specific, GuideIndexPage):
        guide_review_assign(guide_index=page)


def _is_guide_form(*, page=None, parent_page=None) -> bool:
    if page is not None:
        return isinstance(page.specific if page.pk else page, BuyingGuidePage)
    return parent_page is not None and isinstance(parent_page.specific, GuideIndexPage)


@hooks.register("construct_page_action_menu")
def guides_publish_only_through_review(menu_items, request, context):
    # Guides go live when Guide review approves them; the Publish button would skip it.
    if _is_guide_form(page=context.get("page"), parent_page=context.get("parent_page")):
        menu_items[:] = [item for item in menu_items if item.name != "action-publish"]


def _refuse_publish(request):
    messages.error(request, _("Guides go live through Guide review: submit the guide for review instead."))
    return redirect(request.get_full_path())


@hooks.register("before_edit_page")
def refuse_direct_guide_publish_on_edit(request, page):
    if request.method == "POST" and "action-publish" in request.POST and _is_guide_form(page=page):
        return _refuse_publish(request)
    return None


@hooks.register("before_create_page")
def refuse_direct_guide_publish_on_create(request, parent_page, page_class):
    if (
        request.method == "POST"
        and "action-publish" in request.POST
        and issubclass(page_class, BuyingGuidePage)
    ):
        return _refuse_publish(request)
    return None


@hooks.register("before_bulk_action")
def refuse_bulk_publish_of_guides(request, action_type, objects, action_class_instance):
    # "Publish selected pages" would otherwise put a guide live without Guide review.
    if action_type == "publish" and any(isinstance(obj.specific, BuyingGuidePage) for obj in objects):
        messages.error(
            request, _("Guides go live through Guide review, one by one: they cannot be bulk published.")
        )
        return redirect(_safe_next(request) or "wagtailadmin_explore_root")
    return None


def _safe_next(request) -> str | None:
    # "next" comes from the query string: a link can carry any address, and an editor who
    # follows it must land on this site, never on one the link's author chose.
    target = request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@hooks.register("insert_editor_js")
def editor_accessible_names():
    # Wagtail 8 leaves a few of the editor's inputs unnamed (rich text boxes, the tag typing
    # box); this script names them from the labels Wagtail already renders.
    return format_html('<script src="{}" defer></script>', static("content/admin/editor_a11y.js"))
