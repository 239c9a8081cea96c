"""Values every page may show: how soon we answer and how to reach us."""

from django.conf import settings
from django.http import HttpRequest


def service_contact(request: HttpRequest) -> dict:
    return {
        "service_contact": {
            "response_time": settings.SERVICE_RESPONSE_TIME,
            "email": settings.CONTACT_EMAIL,
            "phone": settings.CONTACT_PHONE,
            "messaging": settings.CONTACT_MESSAGING,
        }
    }
