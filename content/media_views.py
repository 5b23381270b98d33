"""Serves protected uploads (content/protected_media.py) after the owning app's access check."""

from __future__ import annotations

import mimetypes
import posixpath
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from .protected_media import protected_media_access, protected_storage


@require_safe
def protected_media(request: HttpRequest, path: str) -> HttpResponseBase:
    # Stored names are "<folder>/<random>.webp"; anything else (.., absolute, nested) is no
    # file of ours, and is refused before the storage or the database is asked.
    if posixpath.normpath(path) != path or path.startswith("/") or path.count("/") != 1:
        raise Http404(_("No such file."))
    access = protected_media_access(user=request.user, name=path)
    storage = protected_storage()
    # Not allowed and not there answer alike, so the answer does not confirm a file exists.
    if access is None or not storage.exists(path):
        raise Http404(_("No such file."))

    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
    accel_prefix = settings.KANTA_PROTECTED_MEDIA_ACCEL_REDIRECT
    response: HttpResponseBase
    if accel_prefix:
        # nginx sends the file from an `internal` location; the process only decided.
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = f"{accel_prefix.rstrip('/')}/{quote(path)}"
    else:
        response = FileResponse(storage.open(path, "rb"), content_type=content_type)
    max_age = settings.KANTA_PROTECTED_MEDIA_MAX_AGE
    if access.public:
        patch_cache_control(response, public=True, max_age=max_age)
    else:
        # Only this reader's browser may keep it, never a proxy or CDN in between.
        patch_cache_control(response, private=True, max_age=max_age)
        patch_vary_headers(response, ["Cookie"])
    return response
