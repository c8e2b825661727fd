"""gunicorn settings for the collector: `gunicorn -c deploy/collector/gunicorn.conf.py`.

Every value can be changed without editing this file through the variables below (the systemd
unit and the container read them from /etc/sipas/collector.env). The processes are stateless:
sessions are signed cookies, rate limits and jobs live in Redis, data in PostgreSQL; so more
workers, or more servers behind nginx, need nothing else.
"""

import multiprocessing
import os

wsgi_app = "collector:create_app()"

bind = os.environ.get("SIPAS_GUNICORN_BIND", "127.0.0.1:8000")
#: The usual (2 x cores) + 1 sync workers; one request at a time each, so a slow report never
#: holds up the kiosks' small ingest requests for long.
workers = int(os.environ.get("SIPAS_GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("SIPAS_GUNICORN_THREADS", "2"))
#: gunicorn's threaded worker with a time limit on receiving a request (shared/serve.py:
#: SIPAS_SERVER_READ_TIMEOUT seconds, 30 by default), as `sipas collector run` uses.
worker_class = "shared.serve.BoundedThreadWorker"
#: Request line and header fields bounded (gunicorn's defaults, stated).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
#: A request that takes longer is killed and its worker replaced (exports run in the worker
#: process `sipas collector worker`, not here).
timeout = int(os.environ.get("SIPAS_GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("SIPAS_GUNICORN_GRACEFUL_TIMEOUT", "30"))
#: nginx keeps connections to the upstream open for this long.
keepalive = 5
#: Workers are replaced now and then, so no slow leak can grow for weeks.
max_requests = 2000
max_requests_jitter = 200
#: Load the app once before forking: a configuration mistake stops the master with its message.
preload_app = True
#: Only nginx on this machine talks to gunicorn; trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("SIPAS_GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
#: No access log from gunicorn: it would hold client addresses. The app logs each request
#: (route, status, duration, request id) as one JSON line, without addresses.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("SIPAS_GUNICORN_LOGLEVEL", "info")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "shared.logs.RequestIdFilter"}},
    "formatters": {"json": {"()": "shared.logs.JsonFormatter"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"level": "INFO", "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        "alembic": {"level": "WARNING"},
    },
}
proc_name = "sipas-collector"
#: No control socket (gunicorn 27+): it would be written in the home folder, which the unit
#: keeps read-only; signals (systemctl reload, stop) do the same work.
control_socket_disable = True
