"""Mapping files: which column of an MIS staff export holds each of our fields."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from events.values import StaffCategory

MAPPINGS = Path(__file__).parent / "mappings"
REQUIRED = ("email", "job_title", "school")
FIELDS = (
    "staff_code",
    "name",
    "first_name",
    "last_name",
    "preferred_name",
    "email",
    "job_title",
    "category",
    "school",
    "line_manager",
    "start_date",
)


class MappingError(ValueError):
    """A mapping file that cannot be used."""


@dataclass(frozen=True, slots=True)
class Mapping:
    name: str
    columns: dict[str, str]
    categories: dict[str, StaffCategory] = field(default_factory=dict)
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)

    def header_problems(self, header: list[str]) -> list[str]:
        """Why a file's header does not fit this mapping (empty when it does)."""
        present = {h.strip() for h in header}
        return [
            f"column {column!r} ({ours}) is missing"
            for ours, column in self.columns.items()
            if column not in present
        ]


def shipped() -> list[str]:
    return sorted(p.stem for p in MAPPINGS.glob("*.toml"))


def load_mapping(name_or_path: str) -> Mapping:
    """A shipped mapping by name (``generic``) or a mapping file by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = MAPPINGS / f"{name_or_path}.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(
            f"no mapping {name_or_path!r} (shipped: {', '.join(shipped())})"
        ) from None
    except tomllib.TOMLDecodeError as e:
        raise MappingError(f"{path.name}: {e}") from None
    columns = {str(k): str(v) for k, v in dict(raw.get("columns", {})).items()}
    unknown = sorted(set(columns) - set(FIELDS))
    if unknown:
        raise MappingError(f"{path.name}: unknown fields {', '.join(unknown)}")
    missing = [f for f in REQUIRED if f not in columns]
    if "name" not in columns and not {"first_name", "last_name"} <= set(columns):
        missing.append("name (or first_name and last_name)")
    if missing:
        raise MappingError(f"{path.name}: no column given for {', '.join(missing)}")
    try:
        categories = {
            str(k).strip().lower(): StaffCategory(v)
            for k, v in dict(raw.get("categories", {})).items()
        }
    except ValueError as e:
        raise MappingError(f"{path.name}: {e}") from None
    formats = tuple(raw.get("dates", {}).get("formats", ["%Y-%m-%d"]))
    return Mapping(str(raw.get("name", path.stem)), columns, categories, formats)
