"""The application as the database drills serve it: with CFX_DRILL_COMMIT_PAUSE_FILE set, the
submission of a patient whose email starts with "commit-stop" pauses right after its
transaction committed, before the session is saved. It writes the file first, so the drill
knows the moment to stop PostgreSQL, and waits for the drill's `.resume` file."""

import os
import time
from pathlib import Path

from cancerfax.wsgi import application  # noqa: F401

PAUSE_FILE = os.environ.get("CFX_DRILL_COMMIT_PAUSE_FILE")

if PAUSE_FILE:
    from navigation.views import public

    _received = public._received

    def _paused_received(request, case):
        if case.patient.email.startswith("commit-stop"):
            Path(PAUSE_FILE).write_text(case.reference)
            resume = Path(PAUSE_FILE + ".resume")
            deadline = time.monotonic() + 60
            while not resume.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        return _received(request, case)

    public._received = _paused_received
