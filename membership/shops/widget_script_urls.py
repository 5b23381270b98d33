from django.urls import path

from hub.widget_scripts import widget_script

urlpatterns = [
    path("loyalty.js", widget_script("membership/widgets/loyalty.js"), name="loyalty-widget-script")
]
