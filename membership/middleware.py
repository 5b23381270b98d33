"""A signed-in member reads the site in their saved language (``User.language``), whatever
the browser or the language cookie says; and switching language with Django's ``set_language``
view (/i18n/setlang/, the language menu) saves the choice as their preference, so their
emails and notifications follow it too. Placed after AuthenticationMiddleware (it needs the
user) and LocaleMiddleware (whose choice it overrides)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from .languages import member_language_set, site_languages

SET_LANGUAGE_URL_NAME = "set_language"


class MemberLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.language in site_languages():
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        response = self.get_response(request)
        if self._language_switched(request, response):
            member_language_set(member=request.user, language=request.POST["language"])  # type: ignore[arg-type]
        return response

    @staticmethod
    def _language_switched(request: HttpRequest, response: HttpResponse) -> bool:
        # set_language answers a redirect whether or not the language was valid; only a
        # language the site offers is saved.
        match = request.resolver_match
        return bool(
            match is not None
            and match.url_name == SET_LANGUAGE_URL_NAME
            and request.method == "POST"
            and request.user.is_authenticated
            and request.POST.get("language") in site_languages()
            and response.status_code in (200, 302)
        )
