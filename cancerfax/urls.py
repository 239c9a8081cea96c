from django.contrib import admin
from django.urls import include, path

from cancerfax import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("readyz/worker", health.readyz_worker, name="readyz_worker"),
    path("admin/", admin.site.urls),
    path("", include("navigation.urls")),
    path("", include("records.urls")),
    path("", include("content.urls")),
]

handler400 = "cancerfax.errors.bad_request"
handler500 = "cancerfax.errors.server_error"
