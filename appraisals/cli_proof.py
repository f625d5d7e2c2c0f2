"""``appraisals audit pack`` and ``appraisals audit verify-pack`` (registered in cli_replay).

``verify-pack`` is what an appeal panel or a tribunal runs: it reads the pack file and the
keys or anchors it is given, and nothing else — no settings, no database, no network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer
from rich.console import Console

console = Console(stderr=True)


def pack_command(
    review: Annotated[UUID, typer.Option(help="The review's id")],
    out: Annotated[Path, typer.Option(help="The pack to write (a .zip file; not overwritten)")],
) -> None:
    """A review's proof pack: its events, report and timeline, and the signed chain
    segments that cover them, for an appeal panel to check offline with verify-pack."""
    from datetime import UTC, datetime

    from appraisals.wiring import build_store
    from config.settings import get_settings
    from projections.catalogue import read_models
    from projections.engine.connection import connect
    from replay.audit_keys import public_keys, signing_key
    from replay.chain import seal
    from replay.pack import (
        PackError,
        build_pack,
        last_checkpoint,
        rendered_report,
        review_documents,
    )

    if out.exists():
        raise typer.BadParameter(f"{out} exists already; choose another file", param_hint="--out")
    settings = get_settings()
    key = signing_key(settings)
    store = build_store(settings)
    db = connect(settings.database_url)
    try:
        # Names in the timeline come from the directory; every event must be sealed.
        read_models(db).catch_up(["directory"])
        seal(db, key)
        try:
            documents = review_documents(db, review)
            # The report as people read it, at the checkpoint that seals the pack's events.
            documents.update(rendered_report(db, store.recorder, review, upto=last_checkpoint(db)))
            pack = build_pack(
                db,
                review,
                key=key,
                keys=public_keys(settings),
                documents=documents,
                now=datetime.now(UTC),
            )
        except PackError as e:
            console.print(f"[red]{e}[/red]")
            raise typer.Exit(1) from None
    finally:
        db.close()
        store.close()
    with out.open("xb") as f:
        f.write(pack.data)
    typer.echo(
        f"wrote {out}: {pack.events} event(s), {pack.checkpoints} signed chain segment(s); "
        f"check it with `appraisals audit verify-pack {out}`"
    )


def verify_pack_command(
    pack: Annotated[Path, typer.Argument(help="The proof pack (.zip)")],
    public_key: Annotated[
        list[Path] | None,
        typer.Option(
            "--public-key",
            help="The trust's published public key(s) (PEM; repeatable). Without it the key "
            "inside the pack is used and its id printed to compare",
        ),
    ] = None,
    anchors: Annotated[
        Path | None,
        typer.Option(help="An anchor file (JSON lines) to find the pack's checkpoints in"),
    ] = None,
    timeline: Annotated[
        bool, typer.Option("--timeline", help="Also list the proven events in log order")
    ] = False,
) -> None:
    """Check a proof pack offline (no database, no settings): events hash into the chain,
    the chain into signed checkpoints, signatures hold, nothing added or removed. Exit 0
    verified, 1 not, 2 unreadable."""
    from anchors import AnchorSinkError, FileAnchorSink
    from replay.keys import AuditKeyError, PublicKeys
    from replay.proof import PackUnreadable, verify_pack

    try:
        trusted = (
            PublicKeys([k for path in public_key for k in PublicKeys.read(path)])
            if public_key
            else None
        )
        anchored = None
        if anchors is not None:
            if not anchors.is_file():
                raise PackUnreadable(f"no anchor file {anchors}")
            anchored = [
                line.record for line in FileAnchorSink(anchors).read() if line.record is not None
            ]
        result = verify_pack(str(pack), trusted=trusted, anchors=anchored)
    except (PackUnreadable, AuditKeyError, AnchorSinkError) as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from None
    typer.echo(result.describe())
    if timeline and result.verified:
        for line in result.timeline:
            typer.echo(line)
    if not result.verified:
        raise typer.Exit(1)
