"""The sample portal: a deterministic government portal on loopback, with the truth a perfect crawl
must find. `start_portal(port=0, today=..., scale=..., faults=...)` runs it in a thread."""

from .portal import Portal
from .server import PortalHandle, start_portal

__all__ = ["Portal", "PortalHandle", "start_portal"]
