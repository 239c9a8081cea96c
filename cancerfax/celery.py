import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cancerfax.settings")

app = Celery("cancerfax")
# Every CELERY_* setting in cancerfax/settings.py configures the app.
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each installed app's `tasks` module, this package's own (cancerfax/tasks.py) included.
app.autodiscover_tasks()
