"""allauth's sign-in page, answering 429 when a limit refuses (membership/account_limits.py).

hub/urls.py mounts this at /accounts/ ahead of allauth's own URLs and without a namespace,
so ``account_login`` (the name allauth reverses) is this view."""

from django.urls import path

from .views import LoginView

urlpatterns = [
    path("login/", LoginView.as_view(), name="account_login"),
]
