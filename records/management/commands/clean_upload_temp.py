from django.core.management.base import BaseCommand

from records.services.resumable import resumable_uploads_expire
from records.services.uploads import upload_temp_cleanup


class Command(BaseCommand):
    help = (
        "Delete temporary upload files left in FILE_UPLOAD_TEMP_DIR by requests that died "
        "(older than UPLOAD_TEMP_MAX_AGE), and resumable uploads not continued within "
        "UPLOAD_RESUMABLE_LIFETIME; run it on each web node, e.g. from cron."
    )

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"removed {upload_temp_cleanup()} temporary upload files")
        self.stdout.write(f"removed {resumable_uploads_expire()} expired resumable uploads")
