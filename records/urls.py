from django.urls import path

from records import views

app_name = "records"

urlpatterns = [
    path("submit/uploads/", views.upload_create, name="upload_create"),
    path("submit/uploads/resumable/", views.resumable_create, name="resumable_create"),
    path(
        "submit/uploads/resumable/<uuid:public_id>/",
        views.resumable_upload,
        name="resumable_upload",
    ),
    path("submit/uploads/<uuid:public_id>/delete/", views.upload_delete, name="upload_delete"),
]
