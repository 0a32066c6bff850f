"""A project whose responses exercise every CompressionMiddleware rule, served by each front door.

duck's server: ``duck runserver --settings tests.middleware.compression_project.settings``; uvicorn:
``tests.middleware.compression_project.asgi:application``; gunicorn: ``...wsgi:application``.
"""
