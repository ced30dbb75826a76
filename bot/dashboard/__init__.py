"""The operator's read-only web dashboard, served by the daemon on the metrics server."""
