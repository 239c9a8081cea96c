from django.contrib.sitemaps.views import sitemap
from django.urls import path, re_path

from content.sitemaps import SITEMAPS
from content.views import public, staff

app_name = "content"

urlpatterns = [
    path("", public.library, name="library"),
    path("robots.txt", public.robots_txt, name="robots_txt"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("preview/<int:page_id>/", staff.preview, name="preview"),
    # Last: any address made of lowercase segments ending in "/" may be a page. The
    # trailing slash is required so APPEND_SLASH still redirects "/eligibility".
    re_path(r"^(?P<path>(?:[a-z0-9-]+/)+)$", public.information_page, name="page"),
]
