from django.urls import path

from navigation.views import portal, public

app_name = "navigation"

urlpatterns: list = [
    path("eligibility/", public.eligibility, name="eligibility"),
    path("api/v1/prescreen/", public.prescreen_api, name="prescreen_api"),
    path("submit/", public.submit, name="submit"),
    path("submit/received/", public.submit_received, name="submit_received"),
    path("submit/draft/", public.submit_draft_save, name="submit_draft"),
    path("submit/resume/<str:token>/", public.submit_resume, name="submit_resume"),
    path("portal/", portal.portal, name="portal"),
    path("portal/signin/", portal.portal_signin, name="portal_signin"),
    path("portal/signin/<str:token>/", portal.portal_link, name="portal_link"),
    path("portal/signout/", portal.portal_signout, name="portal_signout"),
    path("portal/cases/<str:reference>/", portal.portal_case, name="portal_case"),
    path("portal/cases/<str:reference>/upload/", portal.portal_upload, name="portal_upload"),
    path(
        "portal/cases/<str:reference>/uploads/",
        portal.portal_resumable_create,
        name="portal_resumable_create",
    ),
    path(
        "portal/cases/<str:reference>/uploads/<uuid:public_id>/",
        portal.portal_resumable_upload,
        name="portal_resumable_upload",
    ),
    path(
        "portal/cases/<str:reference>/documents/<uuid:document_id>/",
        portal.portal_document,
        name="portal_document",
    ),
    path("portal/cases/<str:reference>/withdraw/", portal.portal_withdraw, name="portal_withdraw"),
]
