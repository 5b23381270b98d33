from django.urls import path

from membership.shops.views import shop_webhook

urlpatterns = [path("<str:platform>/webhooks/", shop_webhook, name="shop-webhook")]
