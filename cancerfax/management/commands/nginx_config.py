"""Print the nginx configuration for docker-compose (or for other ports and paths).

    python manage.py nginx_config > deploy/nginx.conf

Run it again whenever the upload limits change: nginx's request size limit follows them.
"""

from dataclasses import fields

from django.core.management.base import BaseCommand

from cancerfax.frontserver import NginxSite, nginx_config


class Command(BaseCommand):
    help = "Print deploy/nginx.conf.template rendered with the upload limits in settings."

    def add_arguments(self, parser) -> None:
        for field in fields(NginxSite):
            parser.add_argument(f"--{field.name.replace('_', '-')}", default=field.default)

    def handle(self, *args, **options) -> None:
        site = NginxSite(**{field.name: options[field.name] for field in fields(NginxSite)})
        self.stdout.write(nginx_config(site), ending="")
