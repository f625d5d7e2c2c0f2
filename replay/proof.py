"""A review's proof pack, checked offline: no database, no settings, no network.

A pack (``appraisals audit pack``, replay/pack.py) is a zip file holding

* ``events.jsonl``: every stored event of the review and its objectives, byte for byte
  (topic, aggregate id, version and the stored state, base64), so its record hash
  (``sha256("<aggregate id>|<version>|<topic>|" + state)``) can be recomputed;
* ``segments.json``: each chain segment those events lie in: the chain value before it, every
  ``position:record hash`` entry of the segment (other people's events by hash only) and the
  Ed25519-signed checkpoint that closes it;
* ``public-keys.pem``: the public keys the checkpoints and the manifest are signed with;
* ``report.json``, ``timeline.json`` (and the rendered report, where the service renders one):
  what a person reads;
* ``manifest.json`` + ``manifest.sig``: the list of events and the hash of every document,
  signed by the service's key when the pack was made, so nothing can be left out or swapped.

``verify_pack`` checks that each event hashes to its entry in a segment, each segment's
entries hash to its checkpoint's chain value, each signature holds under the public key (the
pack's own, or one the verifier trusts), each aggregate's events link up by ``prev_hash``, the
manifest is complete; and optionally that each checkpoint is among those anchored in a file.
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from dataclasses import dataclass, field
from typing import Any

import orjson

from replay.chain import GENESIS, Checkpoint, next_chain
from replay.keys import AuditKeyError, PublicKeys

FORMAT = "appraisal-ledger proof pack"
VERSION = 1
MEMBERS = ("manifest.json", "manifest.sig", "events.jsonl", "segments.json", "public-keys.pem")


def manifest_message(manifest: bytes) -> bytes:
    """What the manifest signature signs (apart from checkpoints' messages by its prefix)."""
    return f"{FORMAT}|{hashlib.sha256(manifest).hexdigest()}".encode()


def record_hash(aggregate_id: str, version: int, topic: str, state: bytes) -> str:
    digest = hashlib.sha256(f"{aggregate_id}|{version}|{topic}|".encode())
    digest.update(state)
    return digest.hexdigest()


class PackUnreadable(ValueError):
    """Not a proof pack at all (a one-line message); verification found nothing to check."""


@dataclass
class PackVerification:
    review_id: str = ""
    events: int = 0
    aggregates: int = 0
    checkpoints: list[int] = field(default_factory=list)
    key_ids: list[str] = field(default_factory=list)
    keys_from_pack: bool = True
    anchored: int | None = None
    problems: list[str] = field(default_factory=list)
    timeline: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return not self.problems

    def describe(self) -> str:
        if self.problems:
            lines = [f"NOT VERIFIED: {self.problems[0]}"]
            lines += [f"  also: {p}" for p in self.problems[1:20]]
            return "\n".join(lines)
        keys = ", ".join(self.key_ids)
        whose = (
            "the key(s) inside the pack: compare the key id with the trust's published key "
            "(GET /v1/audit/keys), or run again with --public-key"
            if self.keys_from_pack
            else "a trusted public key given to the verifier"
        )
        text = (
            f"VERIFIED: proof pack of review {self.review_id}: {self.events} event(s) of the "
            f"review and its objectives ({self.aggregates} aggregate chain(s), complete and "
            f"linked) hash into {len(self.checkpoints)} chain segment(s) sealed by checkpoint(s) "
            f"{', '.join(map(str, self.checkpoints))}, signed (Ed25519) by key {keys}: {whose}"
        )
        if self.anchored is not None:
            text += f"; all {self.anchored} checkpoint(s) match the anchor file"
        return text


def _load(data: bytes, name: str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise PackUnreadable(f"{name} is not JSON ({e})") from None


def _checkpoint(raw: Any) -> Checkpoint:
    try:
        return Checkpoint(
            int(raw["position"]),
            int(raw["previous"]),
            int(raw["events"]),
            str(raw["chain"]),
            str(raw["key_id"]),
            str(raw["signature"]),
            str(raw["sealed_at"]),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise PackUnreadable(f"a checkpoint in segments.json is malformed ({e})") from None


def verify_pack(
    path: str,
    *,
    trusted: PublicKeys | None = None,
    anchors: list[dict[str, Any]] | None = None,
) -> PackVerification:
    """Check a proof pack; problems are sentences a panel can read. Raises PackUnreadable
    when the file is not a proof pack at all."""
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            missing = [n for n in MEMBERS if n not in names]
            if missing:
                raise PackUnreadable(f"{path} is not a proof pack: {', '.join(missing)} missing")
            files = {n: z.read(n) for n in names}
    except (zipfile.BadZipFile, OSError) as e:
        raise PackUnreadable(f"cannot read {path} as a proof pack: {e}") from None
    out = PackVerification()
    problems = out.problems
    manifest_bytes = files["manifest.json"]
    manifest = _load(manifest_bytes, "manifest.json")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise PackUnreadable(f"{path}: manifest.json is not a proof pack manifest")
    if manifest.get("version") != VERSION:
        raise PackUnreadable(f"{path}: pack version {manifest.get('version')!r} is not {VERSION}")
    out.review_id = str(manifest.get("review_id"))
    try:
        pack_keys = PublicKeys.parse(files["public-keys.pem"], "public-keys.pem")
    except AuditKeyError as e:
        raise PackUnreadable(str(e)) from None
    keys = trusted if trusted is not None else pack_keys
    out.keys_from_pack = trusted is None

    # The manifest: signed by the service when the pack was made.
    signature = _load(files["manifest.sig"], "manifest.sig")
    key_id = str(signature.get("key_id")) if isinstance(signature, dict) else ""
    key = keys.get(key_id)
    if key is None:
        problems.append(
            f"the manifest is signed by key {key_id or '(none)'}, which is not "
            + ("among the trusted public keys" if trusted is not None else "in the pack")
        )
    elif not key.verifies(str(signature.get("signature")), manifest_message(manifest_bytes)):
        problems.append(
            f"the manifest's signature does not verify under key {key_id}: the list of events "
            "or documents was changed after the pack was made"
        )
    for name, digest in sorted((manifest.get("documents") or {}).items()):
        if name not in files:
            problems.append(f"{name}, listed in the manifest, is missing from the pack")
        elif hashlib.sha256(files[name]).hexdigest() != digest:
            problems.append(f"{name} was changed after the pack was made (its hash differs)")

    # Segments: entries hash to the signed chain value.
    segments = _load(files["segments.json"], "segments.json")
    if not isinstance(segments, list):
        raise PackUnreadable("segments.json is not a list")
    sealed: dict[int, str] = {}
    used_keys: set[str] = set()
    marks: list[Checkpoint] = []
    for segment in segments:
        mark = _checkpoint(segment.get("checkpoint") if isinstance(segment, dict) else None)
        marks.append(mark)
        entries = [(int(p), str(d)) for p, d in segment.get("entries", [])]
        start = str(segment.get("previous_chain") or "")
        if mark.previous == 0 and start != GENESIS:
            problems.append(f"checkpoint {mark.position}: the first segment must start at genesis")
        if len(entries) != mark.events or any(
            not mark.previous < p <= mark.position for p, _ in entries
        ):
            problems.append(
                f"checkpoint {mark.position}: the segment's entries do not cover exactly the "
                f"{mark.events} positions {mark.previous + 1}-{mark.position} it signs"
            )
        if next_chain(start, entries) != mark.chain:
            problems.append(
                f"checkpoint {mark.position}: the chain segment (positions "
                f"{mark.previous + 1}-{mark.position}) does not hash to the signed chain value: "
                "an entry was changed, added or removed"
            )
        signer = keys.get(mark.key_id)
        used_keys.add(mark.key_id)
        if signer is None:
            problems.append(
                f"checkpoint {mark.position} is signed by key {mark.key_id}, which is not "
                + ("among the trusted public keys" if trusted is not None else "in the pack")
            )
        elif not signer.verifies(mark.signature, mark.message):
            problems.append(
                f"checkpoint {mark.position}: the signature does not verify under key "
                f"{mark.key_id} (forged or altered)"
            )
        sealed.update(entries)
    out.checkpoints = [m.position for m in marks]
    out.key_ids = sorted(used_keys | ({key_id} if key_id else set()))

    # Events: each hashes to its sealed entry; the manifest lists exactly these.
    listed = {(int(p), str(a), int(v)): str(h) for p, a, v, h in manifest.get("events") or []}
    present: dict[tuple[int, str, int], str] = {}
    chains: dict[str, list[tuple[int, str, str | None, int]]] = {}
    for n, line in enumerate(files["events.jsonl"].split(b"\n"), start=1):
        if not line.strip():
            continue
        raw = _load(line, f"events.jsonl line {n}")
        try:
            position = int(raw["position"])
            aggregate = str(raw["aggregate_id"])
            version = int(raw["version"])
            topic = str(raw["topic"])
            state = base64.b64decode(raw["state"], validate=True)
        except (KeyError, TypeError, ValueError) as e:
            problems.append(f"events.jsonl line {n} is malformed ({e})")
            continue
        name = f"event at position {position} ({topic.rsplit('.', 1)[-1]}, {aggregate} v{version})"
        digest = record_hash(aggregate, version, topic, state)
        present[(position, aggregate, version)] = digest
        if position not in sealed:
            problems.append(f"{name} lies in no chain segment of the pack")
        elif sealed[position] != digest:
            problems.append(
                f"{name} was changed: its stored record no longer hashes to the value sealed "
                "at its position"
            )
        fields = _fields(state)
        prev = fields.get("prev_hash") if fields is not None else None
        chains.setdefault(aggregate, []).append((version, digest, prev, position))
        stamp = fields.get("timestamp") if fields is not None else None
        out.timeline.append(f"{position:>8}  {stamp}  {topic.rsplit('.', 1)[-1]}  {aggregate}")
    for entry in sorted(listed.keys() - present.keys()):
        problems.append(
            f"event at position {entry[0]} ({entry[1]} v{entry[2]}) was removed: the manifest "
            "lists it, the pack no longer holds it"
        )
    for entry in sorted(present.keys() - listed.keys()):
        problems.append(f"event at position {entry[0]} ({entry[1]} v{entry[2]}) was added")
    for entry in sorted(present.keys() & listed.keys()):
        if present[entry] != listed[entry] and sealed.get(entry[0]) == present[entry]:
            problems.append(f"event at position {entry[0]}: the manifest lists another hash")
    for aggregate, links in sorted(chains.items()):
        links.sort()
        expected_prev: str | None = None
        for i, (version, digest, prev, position) in enumerate(links, start=1):
            if version != i:
                problems.append(
                    f"{aggregate}: version {i} is missing (the pack goes on at version "
                    f"{version}, position {position})"
                )
                break
            if prev and expected_prev is not None and prev != expected_prev:
                problems.append(
                    f"{aggregate} v{version} (position {position}) does not follow the record "
                    "before it (its prev_hash differs)"
                )
            expected_prev = digest
    out.events = len(present)
    out.aggregates = len(chains)

    if anchors is not None:
        out.anchored = _against_anchors(marks, anchors, problems)
    return out


def _fields(state: bytes) -> dict[str, Any] | None:
    try:
        value = orjson.loads(state)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _against_anchors(
    marks: list[Checkpoint], anchors: list[dict[str, Any]], problems: list[str]
) -> int:
    held = {
        (a.get("position"), a.get("previous"), a.get("events"), a.get("chain"))
        for a in anchors
        if isinstance(a, dict)
    }
    matched = 0
    for mark in marks:
        if (mark.position, mark.previous, mark.events, mark.chain) in held:
            matched += 1
        else:
            problems.append(
                f"checkpoint {mark.position} is not in the anchor file: the seal in this pack "
                "was not the one anchored outside the database"
            )
    return matched


__all__ = [
    "FORMAT",
    "VERSION",
    "PackUnreadable",
    "PackVerification",
    "manifest_message",
    "record_hash",
    "verify_pack",
]
