"""Celery tasks of the membership app, one module per concern."""

from . import enquiries, mail, payments  # noqa: F401  (registers the tasks with Celery)
