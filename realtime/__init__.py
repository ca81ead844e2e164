"""Live board events: a Redis Stream fanned out to websockets, with snapshot and resume.

Publishers (web processes, workers) call `publish` or `publish_many`; each web process runs one `Hub` and
mounts `websocket_route(...)`. Never imports `hotline`: the caller passes in authentication,
the snapshot and the subtree filter.
"""

from realtime.endpoint import websocket_route
from realtime.events import Event
from realtime.hub import Hub
from realtime.stream import publish, publish_many

__all__ = ["Event", "Hub", "publish", "publish_many", "websocket_route"]
