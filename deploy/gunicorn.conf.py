"""gunicorn's settings for Case Conference: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`.

From the environment: BIND (127.0.0.1:8000), WEB_CONCURRENCY (workers, one per core),
LOG_FORMAT (json), PROMETHEUS_MULTIPROC_DIR (where the workers keep their metrics; /metrics
adds them up).
"""

import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
# One sync worker per core: more only queue on the same CPUs (bench/web.py, the README).
workers = int(os.environ.get("WEB_CONCURRENCY", str(os.cpu_count() or 2)))
preload_app = True  # one import, shared by the workers (wsgi.py freezes it)
timeout = 120  # rendering a long set of minutes takes a while
graceful_timeout = 30
accesslog = None  # the app writes one line per request itself, by route, never by path
errorlog = "-"
# No control socket: it sits in the user's home by default, one path for every gunicorn of that
# user, so two app servers on one host would fight over it.
control_socket_disable = True

if os.environ.get("LOG_FORMAT", "json") == "json":
    # gunicorn's own lines as JSON too; the root logger is left bare for the app's handler.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": "WARNING", "handlers": []},
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": ["levelname", "name", "message"],
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": "time",
            }
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
        },
    }


def on_starting(server):  # type: ignore[no-untyped-def]
    """Before the workers start: the metrics directory exists and holds no files of this host's
    ended processes (the client library asks for a clean directory; a running scheduler's files
    stay)."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        from conference.observability.metrics import forget_dead_processes

        forget_dead_processes(directory)
