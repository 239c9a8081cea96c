"""Temporary upload files left behind by requests that died."""

import logging
import time

from django.conf import settings

from records.services.resumable import resumable_uploads_expire
from records.uploads import TEMP_PREFIX, upload_temp_dir

logger = logging.getLogger(__name__)


def upload_temp_cleanup(*, pid: int | None = None, now: float | None = None) -> int:
    """Delete upload temp files left behind: those of the dead web worker `pid`, or, without
    it, any older than UPLOAD_TEMP_MAX_AGE (longer than the longest upload can last).
    Returns how many were deleted."""
    now = time.time() if now is None else now
    pattern = f"{TEMP_PREFIX}{pid}-*" if pid is not None else f"{TEMP_PREFIX}*"
    removed = 0
    for path in upload_temp_dir().glob(pattern):
        try:
            if pid is None and now - path.stat().st_mtime < settings.UPLOAD_TEMP_MAX_AGE:
                continue
            path.unlink()
            removed += 1
        except FileNotFoundError:  # its request finished meanwhile
            continue
    if removed:
        logger.info("removed %s upload temporary files left behind", removed)
    return removed


def upload_leftovers_remove() -> tuple[int, int]:
    """What uploads left behind on this node: temporary files of requests that died, and
    resumable uploads not continued in time. Returns how many of each were removed."""
    return upload_temp_cleanup(), resumable_uploads_expire()
