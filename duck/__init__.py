"""duck: a full-stack Python web framework where HTTP views and WebSockets live side by side."""

__version__ = "0.1.0"
