from django.urls import path

from membership.shops.loyalty_widget import widget_join, widget_redeem, widget_session, widget_state

urlpatterns = [
    path("session/", widget_session, name="loyalty-widget-session"),
    path("state/", widget_state, name="loyalty-widget-state"),
    path("join/", widget_join, name="loyalty-widget-join"),
    path("redeem/", widget_redeem, name="loyalty-widget-redeem"),
]
