"""WSGI entry point: `gunicorn wsgi:app`, `flask --app wsgi ...`."""

import gc

from conference import create_app

app = create_app()

# Everything built at start-up lives as long as the process. Freezing it keeps the cyclic garbage
# collector from walking it again and again: on a request that reads ten thousand rows, those
# walks cost more than the queries (see bench/agenda.py). With `gunicorn --preload`, it also keeps
# the workers' copies of these pages shared.
gc.freeze()
