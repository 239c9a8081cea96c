from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap

from content.models import InformationPage


class _SiteUrlSitemap(Sitemap):
    """Absolute URLs from SITE_URL, the address the public reaches us at (no sites app)."""

    def get_domain(self, site=None) -> str:
        return urlsplit(settings.SITE_URL).netloc

    def get_protocol(self, protocol=None) -> str:
        return urlsplit(settings.SITE_URL).scheme or "https"


class InformationPageSitemap(_SiteUrlSitemap):
    changefreq = "monthly"
    priority = 0.8

    def items(self):
        return InformationPage.objects.published().order_by("path")

    def lastmod(self, page: InformationPage):
        return page.updated_at


class LibrarySitemap(_SiteUrlSitemap):
    changefreq = "weekly"
    priority = 0.6

    def items(self) -> list[str]:
        return ["/"]

    def location(self, item: str) -> str:
        return item


SITEMAPS = {"pages": InformationPageSitemap, "library": LibrarySitemap}
