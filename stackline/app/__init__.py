"""The application: settings, wiring (the composition root), commands, CLI and ASGI app."""
