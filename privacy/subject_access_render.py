"""The subject access export as a person reads it: an HTML document, its PDF (WeasyPrint),
and a zip bundle holding the JSON, both documents and the person's evidence files.

The readable document shows names, never ids: people, schools, cycles and priorities by
their directory names, the person's own records by their titles, other people's records as
"<kind> of <whose>"; an id without a name reads "an unnamed record".
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import orjson
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from privacy.export import SubjectAccessExport

_HERE = Path(__file__).parent
_TEMPLATES = Environment(
    loader=FileSystemLoader(str(_HERE / "templates")),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
RELATIONS = {
    "subject": "about you",
    "actor": "done by you",
    "named": "names you",
}
RECORDS = {
    "own": "your record",
    "organisation": "the trust's",
    "other": "another person's record",
}
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _label(key: str) -> str:
    label = key.removesuffix("_ids").removesuffix("_id").replace("_", " ")
    return label[:1].upper() + label[1:]


def _fields(export: SubjectAccessExport, fields: dict[str, Any]) -> list[tuple[str, str]]:
    return [(_label(k), export.readable(v)) for k, v in fields.items()]


def render_html(export: SubjectAccessExport) -> str:
    """The readable document (HTML), names in place of ids."""
    events = [
        {
            "when": e.timestamp[:16].replace("T", " "),
            "what": export.summary(e),
            "type": e.event_type,
            "record": export.names.get(e.record_id, "an unnamed record"),
            "whose": RECORDS[e.record],
            "relations": ", ".join(RELATIONS[r] for r in e.relations),
            "actor": export.names.get(e.actor_id or "", "a service operator"),
            "role": (e.actor_role or "").replace("_", " "),
            "fields": _fields(export, e.fields),
            "withheld": ", ".join(_label(w).lower() for w in e.withheld),
        }
        for e in export.events
    ]
    tables = [
        {
            "title": f"{r.read_model.replace('_', ' ')} ({r.table.replace('_', ' ')})",
            "rows": [_fields(export, row) for row in r.rows],
        }
        for r in export.rows
    ]
    # Our own stylesheet, not user input: inlined as is (the PDF has no server to fetch it).
    css = Markup((_HERE / "templates" / "subject_access.css").read_text())
    return _TEMPLATES.get_template("subject_access.html").render(
        export=export,
        events=events,
        tables=tables,
        files=export.files,
        css=css,
        trust=export.names.get(export.trust_id, "the trust"),
        produced=export.produced_at.strftime("%d %B %Y, %H:%M UTC"),
    )


def render_pdf(export: SubjectAccessExport) -> bytes:
    """The readable document as a PDF (WeasyPrint, as the written report)."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=render_html(export)).write_pdf()
    return pdf


def bundle(export: SubjectAccessExport) -> bytes:
    """A zip: export.json, export.html, export.pdf, files/<id>-<name> and a manifest of
    every member's SHA-256."""
    members: dict[str, bytes] = {
        "export.json": export.json(),
        "export.html": render_html(export).encode(),
        "export.pdf": render_pdf(export),
    }
    for f in export.files:
        data = export.blobs.get(f.evidence_id)
        if data is not None:
            name = _SAFE_NAME.sub("_", f.filename)[:100] or "file"
            members[f"files/{f.evidence_id}-{name}"] = data
    manifest = {name: hashlib.sha256(data).hexdigest() for name, data in members.items()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
        z.writestr("manifest.json", orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return buffer.getvalue()
