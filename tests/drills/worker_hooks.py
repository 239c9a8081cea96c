"""Loaded only by the workers the drills start (`celery worker --include ...`).

With CFX_DRILL_PAUSE_FILE set, the first review task pauses in its middle: after the case's review
task is committed and before the coordinators are emailed. It writes the file first, so the
drill knows the moment to SIGKILL the worker.
"""

import os
import time
from pathlib import Path

PAUSE_FILE = os.environ.get("CFX_DRILL_PAUSE_FILE")

if PAUSE_FILE:
    from navigation.services import review

    _notify = review.review_task_notify

    def _paused_notify(*, task_id: int, now=None) -> bool:
        if not Path(PAUSE_FILE).exists():  # only the first review pauses
            Path(PAUSE_FILE).write_text(str(task_id))
            time.sleep(float(os.environ.get("CFX_DRILL_PAUSE_SECONDS", "60")))
        return _notify(task_id=task_id, now=now)

    review.review_task_notify = _paused_notify
