from django.core.management.base import BaseCommand

from records.services.uploads import upload_leftovers_remove


class Command(BaseCommand):
    help = (
        "Delete temporary upload files left in FILE_UPLOAD_TEMP_DIR by requests that died "
        "(older than UPLOAD_TEMP_MAX_AGE), and resumable uploads not continued within "
        "UPLOAD_RESUMABLE_LIFETIME; run it on each web node, e.g. from cron."
    )

    def handle(self, *args, **options) -> None:
        files, uploads = upload_leftovers_remove()
        self.stdout.write(f"removed {files} temporary upload files")
        self.stdout.write(f"removed {uploads} expired resumable uploads")
