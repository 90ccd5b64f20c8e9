"""Running the kiosk as a service: sd_notify, health checks, logging, catalog sync.

Nothing here imports the UI or a model library at import time; `kiosk doctor` and
`kiosk sync` stay fast, and the UI calls `sdnotify` from its own event loop.
"""
