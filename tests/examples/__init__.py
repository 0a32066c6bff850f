"""The examples/ projects, served by `duck runserver` and by uvicorn, driven by real WebSocket clients."""
