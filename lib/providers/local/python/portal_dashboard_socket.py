"""Serves the scheduler's dashboard on a Unix socket too, for the portal's proxy.

Loaded by the local provider with ``dask scheduler --preload portal_dashboard_socket``. The
scheduler runs in a network namespace of its own, which the portal cannot reach over TCP;
the socket, in a folder the portal and the sandbox share, is the portal's only way in
(docs/local-isolation.md). The same HTTP application answers on both, so the dashboard's
pages, its JSON routes and its Bokeh WebSocket are unchanged.
"""

from __future__ import annotations

import os

from distributed import Scheduler
from tornado.netutil import bind_unix_socket

ENV_VAR = "DASK_PORTAL_DASHBOARD_SOCKET"


def dask_setup(scheduler: Scheduler) -> None:
    """Adds a listening Unix socket (mode 0600) at ``$DASK_PORTAL_DASHBOARD_SOCKET``."""
    path = os.environ.get(ENV_VAR)
    if not path:
        raise RuntimeError(f"{ENV_VAR} is not set: the portal could not reach this dashboard")
    scheduler.http_server.add_socket(bind_unix_socket(path, mode=0o600))
