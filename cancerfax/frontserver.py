"""The nginx configuration in front of gunicorn, rendered from deploy/nginx.conf.template.

The one value that must follow the settings is the request body limit: nginx refuses a
larger request with a 413 before it reaches a gunicorn worker, so it must let through the
largest request the site legitimately takes and nothing more (`request_body_limit`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from string import Template

from django.conf import settings

TEMPLATE = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf.template"

# What one file part of a multipart body adds around the file's bytes: the boundary line
# (at most 70 characters of boundary, RFC 2046), Content-Disposition with the field name
# and a file name (255 characters, up to ~1 KB in UTF-8), Content-Type, and line ends.
MULTIPART_PART_OVERHEAD = 2048


def request_body_limit() -> int:
    """The largest legitimate request body, in bytes.

    The no-JavaScript submission form sends every file in one multipart POST: at most
    UPLOAD_MAX_SUBMISSION_BYTES of files (UPLOAD_MAX_FILES parts), plus its typed answers
    (at most DATA_UPLOAD_MAX_MEMORY_SIZE, Django's own limit for them), plus each part's
    headers and the closing boundary. Every other request is smaller: one file to the
    upload endpoint (UPLOAD_MAX_FILE_BYTES), a resumable upload's piece
    (UPLOAD_RESUMABLE_MAX_PATCH_BYTES), forms without files.
    """
    submission = (
        settings.UPLOAD_MAX_SUBMISSION_BYTES
        + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        + (settings.UPLOAD_MAX_FILES + 1) * MULTIPART_PART_OVERHEAD
    )
    return max(
        submission,
        settings.UPLOAD_MAX_FILE_BYTES + 2 * MULTIPART_PART_OVERHEAD,
        settings.UPLOAD_RESUMABLE_MAX_PATCH_BYTES,
    )


@dataclass(frozen=True)
class NginxSite:
    """Where nginx listens, what it proxies to, and where it keeps its files. The defaults
    are docker-compose's (the official nginx image)."""

    listen: str = "80"
    upstream: str = "web:8000"
    static_root: str = "/srv/static"
    state_dir: str = "/var/cache/nginx"
    mime_types: str = "/etc/nginx/mime.types"
    error_log: str = "/dev/stderr"
    access_log: str = "/dev/stdout"
    # Empty when nginx does not start as root (a test's own nginx).
    user: str = "nginx"


def nginx_config(site: NginxSite | None = None) -> str:
    values = asdict(site or NginxSite())
    user = values.pop("user")
    values["user_directive"] = f"user {user};" if user else "# (runs as the user who starts it)"
    values["client_max_body_size"] = str(request_body_limit())
    return Template(TEMPLATE.read_text()).safe_substitute(values)
