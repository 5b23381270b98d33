"""The forum's addresses (included under /forum/ by community/urls.py, namespace ``community``)."""

from django.urls import path

from community.forum import moderation_views as moderation
from community.forum import views

urlpatterns = [
    path("", views.forum_index, name="forum_index"),
    path("new/", views.thread_new, name="forum_thread_new"),
    path("preferences/", views.preferences, name="forum_preferences"),
    path("preview/", views.post_preview, name="forum_preview"),
    path("discuss/product/<slug:slug>/", views.discuss_product, name="forum_discuss_product"),
    path("discuss/guide/<int:page_id>/", views.discuss_guide, name="forum_discuss_guide"),
    path("t/<int:pk>/", views.thread_detail, name="forum_thread"),
    path("t/<int:pk>/unread/", views.thread_unread, name="forum_thread_unread"),
    path("t/<int:pk>/reply/", views.thread_reply, name="forum_reply"),
    path("t/<int:pk>/watch/", views.thread_watch_toggle, name="forum_thread_watch"),
    path("t/<int:pk>/read/", views.thread_read, name="forum_thread_read"),
    path("t/<int:pk>/moderate/", moderation.thread_moderate, name="forum_thread_moderate"),
    # A slug after the id is optional and only for people reading the address (Discourse's
    # /t/<slug>/<id> the other way round); the id alone decides the thread.
    path("t/<int:pk>/<slug:slug>/", views.thread_detail, name="forum_thread_slug"),
    path("p/<int:pk>/", views.post_permalink, name="forum_post"),
    path("p/<int:pk>/edit/", views.post_edit_view, name="forum_post_edit"),
    path("p/<int:pk>/react/", views.post_react, name="forum_post_react"),
    path("p/<int:pk>/accept/", views.post_accept, name="forum_post_accept"),
    path("p/<int:pk>/delete/", moderation.post_delete_view, name="forum_post_delete"),
    path("p/<int:pk>/flag/", moderation.post_flag_view, name="forum_post_flag"),
    path("p/<int:pk>/moderate/", moderation.post_moderate, name="forum_post_moderate"),
    path("p/<int:pk>/history/", moderation.post_history, name="forum_post_history"),
    path("members/<str:username>/sanction/", moderation.member_sanction, name="forum_member_sanction"),
    path("<slug:slug>/", views.category_detail, name="forum_category"),
    path("<slug:slug>/watch/", views.category_watch_toggle, name="forum_category_watch"),
]
