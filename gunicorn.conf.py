"""gunicorn settings for production (the Dockerfile's command; gunicorn reads this file from
the working directory by itself). Command-line flags override it.

Reloads without a stall: the application is imported and warmed up once, in the master,
before any worker is forked (`preload_app`). A `kill -HUP` of the master (a config reload)
then forks new workers that are ready at once, while old ones finish their requests within
`graceful_timeout`. New code needs new processes: roll the `web` containers one at a time
(README, "Reloads and deploys"), each ready only when /readyz answers.
"""

import os

preload_app = True
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("WEB_THREADS", "1"))
timeout = int(os.environ.get("WEB_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# One logging set-up wherever the web runs (cancerfax/logredact.py): the path without its
# query string, sign-in tokens replaced, no referer, user agent or headers.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(B)s %(M)sms'
logger_class = "cancerfax.logredact.RedactingGunicornLogger"


def when_ready(server) -> None:
    """In the master, after the application is loaded and before workers are forked."""
    from cancerfax.warmup import warm_up
    from records.services.uploads import upload_temp_cleanup

    warm_up()
    # Files a previous master's workers left behind, if it died with them.
    upload_temp_cleanup()


def child_exit(server, worker) -> None:
    """A worker is gone (finished, killed or timed out mid-upload): nothing in it could
    delete the temporary files of the uploads it was reading, so the master does."""
    from records.services.uploads import upload_temp_cleanup

    upload_temp_cleanup(pid=worker.pid)
