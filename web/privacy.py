"""The trust's privacy page, for its administrators: the retention policy (who set it, when and
why) and a form to change it; the retention plan (leavers due for erasure, by name, within a
chosen horizon: ``privacy.retention.plan``, as the API and the CLI); and finding a leaver to
erase (``web.erasure``). What both pages share lives here: who may see them, their forms.

To anyone signed in but the trust's administrators every page and form here is the
dashboard's 404, as if it did not exist; someone signed out is sent to sign in, as
everywhere. Each form carries an idempotency key made when it was rendered, so a replayed
form records nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID, uuid4

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BeforeValidator, ValidationError

from aggregates.errors import DomainError, Forbidden, NotFound, RuleBroken
from api.deps import get_container
from commands import messages as m
from commands.principal import Principal
from commands.states import TRUST
from events.base import Role
from events.codec import decode
from events.sealing import ERASED_PERSON
from events.trust import RetentionPolicySet
from privacy import retention
from projections import directory
from projections.audit_log import AuditEntry, audit_events
from replay.export import named_entries
from web.actions import Action, Field, FormState, field_errors
from web.render import PageNotFound, caught_up, page
from web.session import check_same_origin, current_principal

router = APIRouter(include_in_schema=False)

# A date box left empty is sent as "": no date, not a malformed one.
FormDay = Annotated[date | None, BeforeValidator(lambda v: v or None)]
LEAVERS_SHOWN = 25

RETENTION_FORM = Action(
    key="retention",
    label="Set the retention policy",
    command=m.SetRetentionPolicy,
    on="review",
    fields=(
        Field(
            "erase_after_years",
            "Erase leavers' personal data this many whole years after they leave",
            "number",
            hint="From 1 to 100. Leave it empty to keep it until an administrator erases "
            "someone by hand.",
            required=False,
        ),
        Field("reason", "Why (the record of the decision)", "textarea"),
    ),
    button="Save the retention policy",
)

# Rules a refusal names, and the field they concern (else the form's alert names them).
RULE_FIELDS = {
    "retention-years-range": "erase_after_years",
    "retention-changed": "erase_after_years",
    "reason-required": "reason",
}


@dataclass
class PrivacyForm:
    """One form on these pages, in the shape ``_action_form.html`` renders."""

    action: Action
    form: FormState
    url: str
    dom_id: str
    subject: str = ""
    choices: tuple[tuple[str, str], ...] = ()


def admin_of(request: Request) -> Principal:
    """The signed-in administrator of a trust; anyone else signed in is "not found" (and
    someone signed out is sent to sign in, as on every page of the dashboard)."""
    principal = current_principal(request)
    if principal.role is not Role.ADMIN or principal.trust_id is None or principal.read_only:
        raise PageNotFound
    return principal


def refusal(e: DomainError, action: Action) -> tuple[dict[str, str], str]:
    message = e.message[:1].upper() + e.message[1:]
    name = RULE_FIELDS.get(e.rule) if isinstance(e, RuleBroken) else None
    if name in {f.name for f in action.fields}:
        assert name is not None
        return {name: message}, f"Not recorded: {message}."
    return {}, f"Not recorded: {message}."


# -- the privacy page: retention policy, plan, finding a leaver ----------------------------------


@dataclass(frozen=True, slots=True)
class PolicyShown:
    years: int | None
    set_at: Any = None
    set_by: str | None = None
    reason: str | None = None


def _policy(request: Request, trust_id: UUID) -> PolicyShown:
    """The policy in force, and the event that set it (who, when, why) from the audit log."""
    container = get_container(request)
    years = container.commands.states.get(TRUST, trust_id, max_age=0).retention_years
    last: AuditEntry | None = None
    after = 0
    db = container.projections.db
    while found := audit_events(
        db,
        aggregate_id=trust_id,
        event_type=RetentionPolicySet.__name__,
        after_position=after,
        limit=100,
    ):
        last, after = found[-1], found[-1].position
    if last is None:
        return PolicyShown(years)
    named = named_entries(db, [last])[0]
    records = container.store.recorder.select_events(
        trust_id, gt=last.aggregate_version - 1, lte=last.aggregate_version
    )
    reason = None
    for r in records:
        event = decode(r.topic, r.state, trust_id, r.originator_version)
        if isinstance(event, RetentionPolicySet):
            reason = event.reason
    by = named.actor_name or _role_words(last.actor_role)
    return PolicyShown(years, last.timestamp, by, reason)


def _role_words(role: str | None) -> str:
    return f"an {role.replace('_', ' ')} not in the directory" if role else "the system"


def _privacy_page(
    request: Request,
    principal: Principal,
    *,
    until: date | None = None,
    q: str = "",
    form: FormState | None = None,
    done: str | None = None,
    fresh: bool = True,
    status_code: int = 200,
) -> HTMLResponse:
    assert principal.trust_id is not None
    trust_id = principal.trust_id
    container = get_container(request)
    db = container.projections.db
    today = retention.today_utc()
    horizon = until if until is not None and until >= today else today
    due = retention.plan(db, container.commands, today=today, trust_id=trust_id, horizon=horizon)
    search = q.strip()
    people, more = directory.list_staff(
        db,
        directory.StaffFilter(trust_id, search=search or None, active=False),
        after=None,
        limit=LEAVERS_SHOWN,
    )
    leavers = [p for p in people if p.display_name != ERASED_PERSON]
    policy = _policy(request, trust_id)
    state = form or FormState(
        str(uuid4()),
        {"erase_after_years": str(policy.years) if policy.years is not None else ""},
    )
    return page(
        request,
        "privacy.html",
        principal,
        policy=policy,
        retention_form=PrivacyForm(RETENTION_FORM, state, "/privacy/retention", "retention"),
        due=due,
        today=today,
        horizon=horizon,
        horizons=[(today + timedelta(days=d), label) for d, label in HORIZONS],
        q=search,
        leavers=leavers,
        more_leavers=more is not None,
        done=done,
        fresh=fresh,
        status_code=status_code,
    )


HORIZONS = ((0, "today"), (30, "in 30 days"), (90, "in 90 days"), (365, "in a year"))


@router.get("/privacy", response_class=HTMLResponse)
def privacy_page(
    request: Request,
    until: Annotated[FormDay, Query()] = None,
    q: Annotated[str, Query(max_length=200)] = "",
    min_position: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    done: Annotated[str | None, Query(pattern="^retention$")] = None,
) -> Response:
    principal = admin_of(request)
    if until is not None and until > date(2999, 12, 31):
        until = None
    fresh = caught_up(request, min_position, "audit_log", "directory")
    return _privacy_page(request, principal, until=until, q=q, done=done, fresh=fresh)


def _set_retention(request: Request, principal: Principal, values: dict[str, str]) -> Response:
    assert principal.trust_id is not None
    key = values.get("idempotency_key", "")
    if not 8 <= len(key) <= 200:
        raise PageNotFound
    shown = {f.name: values.get(f.name, "") for f in RETENTION_FORM.fields}
    state = FormState(key, shown)
    years = shown["erase_after_years"].strip()
    try:
        command = m.SetRetentionPolicy.model_validate(
            {
                "trust_id": principal.trust_id,
                "erase_after_years": years or None,
                "reason": shown["reason"],
            }
        )
        result = get_container(request).commands.execute(
            command, principal, idempotency_key=f"web-retention:{key}"
        )
    except ValidationError as e:
        state.errors, state.error = field_errors(e, RETENTION_FORM)
        state.error = state.error or "Not recorded: check the fields marked below."
        return _privacy_page(request, principal, form=state, status_code=422)
    except (Forbidden, NotFound):
        raise PageNotFound from None
    except DomainError as e:
        state.errors, state.error = refusal(e, RETENTION_FORM)
        return _privacy_page(request, principal, form=state, status_code=422)
    query = {"min_position": str(result.position or 1), "done": "retention"}
    return RedirectResponse(f"/privacy?{urlencode(query)}#retention", status_code=303)


MAX_FIELD_LENGTH = 5_000


async def read_form(request: Request) -> dict[str, str]:
    form = await request.form(max_files=0, max_fields=10)
    values: dict[str, str] = {}
    for k, v in form.items():
        if not isinstance(v, str) or len(v) > MAX_FIELD_LENGTH:
            raise PageNotFound
        values[k] = v
    return values


# The form is read asynchronously; the reads and the command run in the pool.
@router.post("/privacy/retention")
async def set_retention(request: Request) -> Response:
    check_same_origin(request)
    principal = await run_in_threadpool(admin_of, request)
    values = await read_form(request)
    return await run_in_threadpool(_set_retention, request, principal, values)
