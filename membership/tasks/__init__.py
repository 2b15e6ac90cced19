"""Celery tasks of the membership app, one module per concern."""

from . import mail, payments  # noqa: F401  (registers the tasks with Celery)
