"""Import of the adhérent registry from a CSV file, run by Celery, row by row.

The file: UTF-8 (with or without BOM) or, when it isn't UTF-8, Windows-1252 (what a French
Excel saves as plain « CSV »); comma, semicolon or tab separated; one header row.
Columns (case and accents don't matter, French names accepted):

    organisation        organisation, organization, nom, raison sociale
    membership_number   numéro d'adhérent, numéro, n° adhérent, membership number
    email_domains       domaines, domaines e-mail, email domains (optional column;
                        several domains separated by ";", "," or spaces)
    valid_from          début, date de début, adhérent depuis
    valid_to            fin, date de fin, adhérent jusqu'au (optional column, empty = no end)

Dates are ISO (2026-01-31) or French (31/01/2026). Rows are upserted by membership number.
A bad row is reported (line, column, message) and skipped; the other rows are imported.
A file that cannot be read as such a CSV (encoding, no header, a required column missing)
ends the import in FAILED before anything is written.

Celery only autodiscovers `tasks` modules: this module is imported by
`membership/wagtail_hooks.py`, which Wagtail imports at start-up in every process that sets
Django up (web and Celery workers), so `run_import` is registered everywhere.
"""

import csv
import datetime
import io
import logging
import re
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from celery import shared_task

from .models import Adherent, AdherentImport
from .models.registry import normalise_domain

logger = logging.getLogger(__name__)

#: Rows written per transaction; progress is committed after each batch.
BATCH_SIZE = 50

#: The upload form refuses larger files.
MAX_FILE_SIZE = 2 * 1024 * 1024

REQUIRED_COLUMNS = ("organisation", "membership_number", "valid_from")

COLUMN_LABELS = {
    "organisation": gettext_lazy("organisation"),
    "membership_number": gettext_lazy("numéro d'adhérent"),
    "email_domains": gettext_lazy("domaines"),
    "valid_from": gettext_lazy("début"),
    "valid_to": gettext_lazy("fin"),
}


def header_key(name: str) -> str:
    """'Numéro d’adhérent ' → 'numero_d_adherent': how headers are compared."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


_ALIASES = {
    "organisation": ["organisation", "organization", "nom", "raison sociale", "structure"],
    "membership_number": [
        "membership_number",
        "membership number",
        "numero",
        "numero d'adherent",
        "numero adherent",
        "n° adherent",
        "n° d'adherent",
        "no adherent",
        "num adherent",
    ],
    "email_domains": [
        "email_domains",
        "email domains",
        "domaines",
        "domaine",
        "domaines e-mail",
        "domaines email",
        "domaines mail",
    ],
    "valid_from": ["valid_from", "valid from", "debut", "date de debut", "adherent depuis"],
    "valid_to": ["valid_to", "valid to", "fin", "date de fin", "adherent jusqu'au"],
}
COLUMN_ALIASES = {
    header_key(alias): name for name, aliases in _ALIASES.items() for alias in aliases
}

_FRENCH_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2})?)?$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def parse_date(text: str) -> datetime.date:
    """An ISO (2026-01-31) or French (31/01/2026) date; ValueError otherwise."""
    text = text.strip()
    if match := _ISO_DATE.match(text):
        year, month, day = match.groups()
    elif match := _FRENCH_DATE.match(text):
        day, month, year = match.groups()
    else:
        raise ValueError(text)
    return datetime.date(int(year), int(month), int(day))


def parse_domains(text: str) -> tuple[list[str], list[str]]:
    """(valid domains, invalid ones) from 'a.fr; b.fr c.fr'."""
    valid, invalid = [], []
    for raw in re.split(r"[;,\s]+", text):
        if not raw.strip():
            continue
        domain = normalise_domain(raw)
        try:
            ascii_form = domain.encode("idna").decode("ascii")
        except UnicodeError:
            ascii_form = ""
        (valid if _DOMAIN.match(ascii_form) else invalid).append(domain if ascii_form else raw)
    return sorted(set(valid)), invalid


class UnreadableFile(Exception):
    """The file is not a CSV this import can read; the message says why, in French."""


@dataclass
class ParsedFile:
    columns: dict[str, str]  # field name → header as written in the file
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # (line, field → value)


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (BOM or not), else Windows-1252; UnreadableFile otherwise.

    A Windows-1252 text with accents is almost never valid UTF-8, so trying UTF-8 first
    doesn't misread it; the other way round would turn every UTF-8 accent into two signs.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise UnreadableFile(
            _(
                "Le fichier n'est encodé ni en UTF-8 ni en Windows-1252 (premier caractère "
                "illisible ligne %(line)s). Enregistrez-le au format « CSV UTF-8 » et "
                "importez-le à nouveau."
            )
            % {"line": line}
        ) from None


def read_registry_csv(data: bytes) -> ParsedFile:
    """Decode and parse the whole file, or raise UnreadableFile. Nothing is written here."""
    text = decode(data)
    if "\x00" in text:
        raise UnreadableFile(_("Le fichier n'est pas un fichier texte CSV."))
    lines = text.splitlines()
    header_line = next((line for line in lines if line.strip()), "")
    if not header_line:
        raise UnreadableFile(_("Le fichier est vide : il n'a pas de ligne d'en-tête."))
    delimiter = max(";,\t", key=header_line.count)

    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise UnreadableFile(
            _("Le fichier n'est pas un CSV lisible : %(error)s.") % {"error": error}
        ) from None

    # Skip blank lines before the header; line numbers count every record, as a spreadsheet does.
    first = next(i for i, record in enumerate(records) if any(cell.strip() for cell in record))
    header = records[first]
    columns, positions = {}, {}
    for position, name in enumerate(header):
        key = COLUMN_ALIASES.get(header_key(name))
        if key is None:
            continue
        if key in columns:
            raise UnreadableFile(
                _(
                    "Les colonnes « %(first)s » et « %(second)s » désignent toutes deux "
                    "« %(field)s »."
                )
                % {"first": columns[key], "second": name.strip(), "field": COLUMN_LABELS[key]}
            )
        columns[key] = name.strip()
        positions[key] = position
    missing = [str(COLUMN_LABELS[key]) for key in REQUIRED_COLUMNS if key not in columns]
    if missing:
        raise UnreadableFile(
            _(
                "Colonnes obligatoires absentes : %(missing)s. En-tête lu : %(header)s. "
                "Colonnes attendues : organisation, numéro d'adhérent, domaines, début, fin."
            )
            % {
                "missing": ", ".join(missing),
                "header": " | ".join(cell.strip() for cell in header) or "—",
            }
        )

    parsed = ParsedFile(columns=columns)
    for index, record in enumerate(records[first + 1 :], start=first + 2):
        if not any(cell.strip() for cell in record):
            continue
        values = {
            key: (record[position].strip() if position < len(record) else "")
            for key, position in positions.items()
        }
        parsed.rows.append((index, values))
    return parsed


@dataclass
class RowOutcome:
    created: bool = False
    updated: bool = False
    errors: list[dict] = field(default_factory=list)


def _row_error(line, column, message):
    return {"line": line, "column": column, "message": f"ligne {line} : {message}"}


def validate_row(line: int, values: dict[str, str], columns: dict[str, str]):
    """(cleaned fields, errors) for one row."""
    errors = []

    def error(key, message):
        errors.append(_row_error(line, columns.get(key, str(COLUMN_LABELS[key])), message))

    organisation = values.get("organisation", "")
    if not organisation:
        error("organisation", _("organisation manquante"))
    elif len(organisation) > 255:
        error("organisation", _("organisation trop longue (255 caractères au plus)"))

    number = values.get("membership_number", "").upper()
    if not number:
        error("membership_number", _("numéro d'adhérent manquant"))
    elif len(number) > 50:
        error("membership_number", _("numéro d'adhérent trop long (50 caractères au plus)"))

    valid_from = valid_to = None
    raw_from = values.get("valid_from", "")
    if not raw_from:
        error("valid_from", _("date de début manquante"))
    else:
        try:
            valid_from = parse_date(raw_from)
        except ValueError:
            error("valid_from", _("date de début invalide « %(value)s »") % {"value": raw_from})
    raw_to = values.get("valid_to", "")
    if raw_to:
        try:
            valid_to = parse_date(raw_to)
        except ValueError:
            error("valid_to", _("date de fin invalide « %(value)s »") % {"value": raw_to})
    if valid_from and valid_to and valid_to < valid_from:
        error(
            "valid_to",
            _("la date de fin « %(end)s » précède la date de début « %(start)s »")
            % {"end": raw_to, "start": raw_from},
        )

    domains, invalid = parse_domains(values.get("email_domains", ""))
    for domain in invalid:
        error("email_domains", _("domaine e-mail invalide « %(value)s »") % {"value": domain})

    cleaned = {
        "membership_number": number,
        "organisation": organisation,
        "email_domains": "\n".join(domains),
        "valid_from": valid_from,
        "valid_to": valid_to,
    }
    return cleaned, errors


def upsert(cleaned: dict) -> RowOutcome:
    """Create or update the adhérent with this number (the caller holds a transaction)."""
    number = cleaned["membership_number"]
    fields = {k: v for k, v in cleaned.items() if k != "membership_number"}
    adherent = Adherent.objects.select_for_update().filter(membership_number=number).first()
    if adherent is None:
        Adherent.objects.create(membership_number=number, **fields)
        return RowOutcome(created=True)
    changed = [
        name
        for name, value in fields.items()
        if name != "email_domains" and getattr(adherent, name) != value
    ]
    # Domains compare as sets: the same domains in another order or case change nothing.
    if adherent.domains != sorted(filter(None, fields["email_domains"].split("\n"))):
        changed.append("email_domains")
    if changed:
        for name in changed:
            setattr(adherent, name, fields[name])
        adherent.save(update_fields=[*changed, "updated_at"])
    return RowOutcome(updated=bool(changed))


def import_registry(registry_import: AdherentImport) -> AdherentImport:
    """Run one import to its end (DONE or FAILED), committing progress batch by batch."""
    pk = registry_import.pk
    try:
        with registry_import.file.open("rb") as handle:
            data = handle.read()
        parsed = read_registry_csv(data)
    except (UnreadableFile, OSError) as error:
        message = str(error) if isinstance(error, UnreadableFile) else _("Fichier introuvable.")
        AdherentImport.objects.filter(pk=pk).update(
            status=AdherentImport.Status.FAILED,
            errors=[{"line": None, "column": "", "message": message}],
            finished_at=timezone.now(),
        )
        registry_import.refresh_from_db()
        return registry_import

    AdherentImport.objects.filter(pk=pk).update(
        status=AdherentImport.Status.RUNNING,
        total_rows=len(parsed.rows),
        processed_rows=0,
        created_count=0,
        updated_count=0,
        errors=[],
    )
    created = updated = processed = 0
    errors: list[dict] = []
    seen: dict[str, int] = {}
    for start in range(0, len(parsed.rows), BATCH_SIZE):
        batch = parsed.rows[start : start + BATCH_SIZE]
        with transaction.atomic():
            for line, values in batch:
                cleaned, row_errors = validate_row(line, values, parsed.columns)
                number = cleaned["membership_number"]
                if not row_errors and number in seen:
                    row_errors.append(
                        _row_error(
                            line,
                            parsed.columns["membership_number"],
                            _("numéro d'adhérent « %(number)s » déjà présent ligne %(first)s")
                            % {"number": number, "first": seen[number]},
                        )
                    )
                if row_errors:
                    errors.extend(row_errors)
                else:
                    seen[number] = line
                    try:
                        with transaction.atomic():
                            outcome = upsert(cleaned)
                    except IntegrityError:
                        # Another import or an editor created this number meanwhile.
                        errors.append(
                            _row_error(
                                line,
                                parsed.columns["membership_number"],
                                _(
                                    "numéro d'adhérent « %(number)s » modifié en même temps "
                                    "ailleurs, ligne non importée"
                                )
                                % {"number": number},
                            )
                        )
                    else:
                        created += outcome.created
                        updated += outcome.updated
                processed += 1
            AdherentImport.objects.filter(pk=pk).update(
                processed_rows=processed,
                created_count=created,
                updated_count=updated,
                errors=errors,
            )
    AdherentImport.objects.filter(pk=pk).update(
        status=AdherentImport.Status.DONE, finished_at=timezone.now()
    )
    registry_import.refresh_from_db()
    logger.info(
        "Registry import %s done: %s rows, %s created, %s updated, %s errors",
        pk,
        processed,
        created,
        updated,
        len(errors),
    )
    return registry_import


@shared_task(name="membership.registry_import.run_import")
def run_import(import_id: int):
    """Celery entry point: import the registry file of AdherentImport `import_id`."""
    registry_import = AdherentImport.objects.filter(pk=import_id).first()
    if registry_import is None or registry_import.status in (
        AdherentImport.Status.DONE,
        AdherentImport.Status.FAILED,
    ):
        return None
    with translation.override(settings.LANGUAGE_CODE):
        try:
            registry_import = import_registry(registry_import)
        except Exception as error:
            # Recorded on the import (the page shows it) and logged with its traceback; rows
            # of batches already committed stay imported.
            logger.exception("Registry import %s failed", import_id)
            AdherentImport.objects.filter(pk=import_id).update(
                status=AdherentImport.Status.FAILED,
                errors=[
                    *AdherentImport.objects.get(pk=import_id).errors,
                    {
                        "line": None,
                        "column": "",
                        "message": _("Erreur inattendue, import interrompu : %(error)s")
                        % {"error": error},
                    },
                ],
                finished_at=timezone.now(),
            )
            raise
    return registry_import.status
