"""``appraisals roles|tokens|sessions``: access from the command line (operators, scripts).

Roles are granted and revoked as commands, like the dashboard and API do. From the command
line the actor is this installation's operator (a platform administrator with a fixed id,
recorded in the event), which is how a trust's first administrator is made.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Annotated
from uuid import UUID

import typer
from rich.console import Console
from rich.table import Table

from appraisals.wiring import Container, build
from commands import messages as m
from commands.principal import Principal
from config.settings import get_settings
from events.actors import OPERATOR_ID
from events.base import Role

roles_app = typer.Typer(help="Grant, revoke and list people's roles (recorded as events).")
tokens_app = typer.Typer(help="Personal API tokens: create (shown once), list, revoke.")
sessions_app = typer.Typer(help="Dashboard sessions: end a person's sessions.")
console = Console()

# The operator of this installation, as the actor of what is done from the command line.
OPERATOR = Principal(OPERATOR_ID, Role.ADMIN)


@contextmanager
def _container() -> Iterator[Container]:
    container = build(get_settings(), run_projections=False)
    try:
        yield container
    finally:
        container.close()


@roles_app.command("grant")
def grant(
    person: Annotated[UUID, typer.Option(help="The person's staff id")],
    role: Annotated[
        Role, typer.Option(help="school_leader, trust_leader, auditor, analyst, admin")
    ],
    reason: Annotated[str, typer.Option(help="Why (kept in the log)")],
    school: Annotated[
        list[UUID] | None, typer.Option(help="A school they lead (repeatable)")
    ] = None,
) -> None:
    """Grant a person a role, trust-wide or (school leaders) for the schools named."""
    with _container() as c:
        command = m.GrantRole(person_id=person, role=role, school_ids=school or [], reason=reason)
        result = c.commands.execute(command, OPERATOR)
        console.print(f"granted: grant {result.created_id} at log position {result.position}")


@roles_app.command("revoke")
def revoke(
    person: Annotated[UUID, typer.Option(help="The person's staff id")],
    grant_id: Annotated[UUID, typer.Option("--grant", help="The grant's id (roles list)")],
    reason: Annotated[str, typer.Option(help="Why (kept in the log)")],
) -> None:
    """Revoke a grant; the person loses the role on their next request."""
    with _container() as c:
        command = m.RevokeRole(person_id=person, grant_id=grant_id, reason=reason)
        result = c.commands.execute(command, OPERATOR)
        console.print(f"revoked at log position {result.position}")


@roles_app.command("list")
def list_roles(trust: Annotated[UUID, typer.Option(help="The trust")]) -> None:
    """The roles in force in a trust, with names, who granted them and why."""
    from projections import access

    with _container() as c:
        grants = access.grants_in_force(c.projections.db, trust)
        names = access.names(c.projections.db, {g.person_id for g in grants})
        table = Table("grant", "person", "role", "schools", "granted", "why")
        for g in grants:
            table.add_row(
                str(g.grant_id),
                names.get(g.person_id, str(g.person_id)),
                g.role,
                ", ".join(g.school_ids) or "whole trust",
                g.granted_at.strftime("%Y-%m-%d"),
                g.grant_reason,
            )
        console.print(table)


@tokens_app.command("create")
def create_token(
    person: Annotated[UUID, typer.Option(help="The person the token acts as")],
    name: Annotated[str, typer.Option(help="What it is for")],
    scope: Annotated[str, typer.Option(help="read or full")] = "read",
    days: Annotated[int, typer.Option(min=1, max=366, help="Lifetime in days")] = 90,
) -> None:
    """Create a personal API token for a person (printed once, stored hashed)."""
    from api.identity.tokens import TokenScope
    from commands.states import STAFF

    with _container() as c:
        staff = c.commands.states.get(STAFF, person, max_age=0)
        assert c.identity is not None
        secret, token = c.identity.tokens.create(
            person_id=staff.id,
            trust_id=staff.trust_id,
            name=name,
            scope=TokenScope(scope),
            lifetime=timedelta(days=days),
        )
        console.print(
            f"token {token.id} for {staff.name}, {scope}, expires {token.expires_at:%Y-%m-%d}"
        )
        typer.echo(secret)


@tokens_app.command("list")
def list_tokens(person: Annotated[UUID, typer.Option(help="The person")]) -> None:
    with _container() as c:
        assert c.identity is not None
        table = Table("id", "name", "scope", "starts", "expires", "state")
        for t in c.identity.tokens.of_person(person):
            state = "revoked" if t.revoked_at else "in use"
            table.add_row(
                str(t.id), t.name, t.scope.value, t.hint, f"{t.expires_at:%Y-%m-%d}", state
            )
        console.print(table)


@tokens_app.command("revoke")
def revoke_token(
    person: Annotated[UUID, typer.Option(help="The token's owner")],
    token_id: Annotated[UUID, typer.Option("--token", help="The token's id")],
) -> None:
    with _container() as c:
        assert c.identity is not None
        if not c.identity.tokens.revoke(person, token_id):
            raise typer.BadParameter("that person has no such token in use")
        console.print("revoked")


@sessions_app.command("end")
def end_sessions(person: Annotated[UUID, typer.Option(help="The person")]) -> None:
    """End every dashboard session of a person (they must sign in again)."""
    with _container() as c:
        assert c.identity is not None
        console.print(f"ended {c.identity.sessions.end_all(person)} session(s)")
