"""Private files: invoice PDFs and registry CSV imports, kept outside MEDIA_ROOT.

Nothing serves this folder: these files have no URL (`storage.url()` raises), and only views
that check who asks read them (the partner space for its own invoices, the admin for staff).
The folder is `settings.PRIVATE_MEDIA_ROOT`, by default `<BASE_DIR>/var/private`; it must not
be inside MEDIA_ROOT or STATIC_ROOT, which a web server may publish (a system check says so).

Model fields take the callable `private_storage`, so migrations name the callable rather than
a path, and the folder is read from the settings each time it is used (tests move it).
"""

import os
from pathlib import Path

from django.conf import settings
from django.core import checks
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible

DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "var" / "private"


def private_root() -> str:
    """The folder private files are stored in, as an absolute path."""
    return os.path.abspath(getattr(settings, "PRIVATE_MEDIA_ROOT", DEFAULT_ROOT) or DEFAULT_ROOT)


@deconstructible(path="membership.storage.PrivateStorage")
class PrivateStorage(FileSystemStorage):
    """A FileSystemStorage under PRIVATE_MEDIA_ROOT, without a URL."""

    @property
    def base_location(self):
        return private_root()

    @property
    def location(self):
        return private_root()

    @property
    def base_url(self):
        return None  # FileSystemStorage.url() then raises ValueError


_storage = PrivateStorage()


def private_storage() -> PrivateStorage:
    """The storage of private files (the callable given to FileFields' `storage`)."""
    return _storage


def _inside(path: str, folder) -> bool:
    if not folder:
        return False
    folder = os.path.abspath(folder)
    return os.path.commonpath([path, folder]) == folder


@checks.register(checks.Tags.security)
def check_private_root(app_configs, **kwargs):
    """PRIVATE_MEDIA_ROOT must not be published with the media or static files."""
    root = private_root()
    errors = []
    for name in ("MEDIA_ROOT", "STATIC_ROOT"):
        if _inside(root, getattr(settings, name, "")):
            errors.append(
                checks.Error(
                    f"PRIVATE_MEDIA_ROOT ({root}) is inside {name}: invoices and registry "
                    "imports would be public.",
                    hint=f"Point PRIVATE_MEDIA_ROOT to a folder outside {name}.",
                    id="membership.E001",
                )
            )
    return errors
