from django.contrib.sitemaps.views import sitemap
from django.urls import path, re_path

from content import views
from content.sitemaps import SITEMAPS

app_name = "content"

urlpatterns = [
    path("", views.library, name="library"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("preview/<int:page_id>/", views.preview, name="preview"),
    # Last: any address made of lowercase segments ending in "/" may be a page. The
    # trailing slash is required so APPEND_SLASH still redirects "/eligibility".
    re_path(r"^(?P<path>(?:[a-z0-9-]+/)+)$", views.information_page, name="page"),
]
