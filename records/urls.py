from django.urls import path

from records import views

app_name = "records"

urlpatterns = [
    path("submit/uploads/", views.upload_create, name="upload_create"),
    path("submit/uploads/<uuid:public_id>/delete/", views.upload_delete, name="upload_delete"),
]
