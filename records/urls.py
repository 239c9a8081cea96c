from django.urls import path

from records.views import public

app_name = "records"

urlpatterns = [
    path("submit/uploads/", public.upload_create, name="upload_create"),
    path("submit/uploads/resumable/", public.resumable_create, name="resumable_create"),
    path(
        "submit/uploads/resumable/<uuid:public_id>/",
        public.resumable_upload,
        name="resumable_upload",
    ),
    path("submit/uploads/<uuid:public_id>/delete/", public.upload_delete, name="upload_delete"),
]
