"""Live discovery: read real subscriptions with the Azure SDK's async clients into an ArmSnapshot,
the same shape an export produces, so every check and screen works unchanged on live data.

Modules: options (flags, endpoint, events), session (HTTP pipeline and clients), run (results and
failure bookkeeping), arm (ARM list calls and per-resource calls), graph (Resource Graph inventory),
discovery (subscriptions, the choice of inventory, the snapshot). Nothing here imports the SDK at
module level: `--demo --headless` must not pay for it.
"""

from aksfw_tui.sources.live.discovery import discover, save_snapshot, snapshot_document, validate
from aksfw_tui.sources.live.options import (
    CLOUDS,
    DiscoveryError,
    DiscoveryEvent,
    LiveOptions,
    parse_window,
    resolve_endpoint,
)

__all__ = ["CLOUDS", "DiscoveryError", "DiscoveryEvent", "LiveOptions", "discover", "parse_window",
           "resolve_endpoint", "save_snapshot", "snapshot_document", "validate"]
