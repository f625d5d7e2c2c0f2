"""What a demo run made: the trust, its cycles, counts, and people to try the API as."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from commands.principal import Principal


@dataclass(frozen=True, slots=True)
class SamplePerson:
    """Someone in the demo trust, with the principal a token for them would carry."""

    label: str
    name: str
    job_title: str
    principal: Principal
    school: str | None = None
    review_id: UUID | None = None

    def describe(self) -> str:
        p = self.principal
        where = f", {self.school}" if self.school else ""
        lines = [
            f"  {self.label}: {self.name} ({self.job_title}{where})",
            f"    role {p.role.value}, id {p.id}",
        ]
        if p.school_ids:
            lines.append(f"    leads {', '.join(str(s) for s in sorted(p.school_ids))}")
        if self.review_id is not None:
            lines.append(f"    current review {self.review_id}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class CycleSummary:
    id: UUID
    name: str
    status: str


@dataclass(frozen=True, slots=True)
class DemoSummary:
    seed: int
    trust_id: UUID
    trust_name: str
    school_ids: tuple[UUID, ...]
    school_names: tuple[str, ...]
    previous_cycle: CycleSummary
    current_cycle: CycleSummary
    staff: int
    reviews: int
    objectives: int
    events: int
    chunks: int
    seconds: float
    staff_member: SamplePerson
    appraiser: SamplePerson
    school_leader: SamplePerson
    trust_leader: SamplePerson
    trust_admin: SamplePerson

    @property
    def cycle_ids(self) -> tuple[UUID, UUID]:
        return self.previous_cycle.id, self.current_cycle.id

    @property
    def samples(self) -> tuple[SamplePerson, ...]:
        return (
            self.staff_member,
            self.appraiser,
            self.school_leader,
            self.trust_leader,
            self.trust_admin,
        )

    def describe(self) -> str:
        rate = self.events / self.seconds if self.seconds else 0.0
        lines = [
            f"{self.trust_name} (trust {self.trust_id}, seed {self.seed})",
            f"  {_count(len(self.school_ids), 'school')}, {self.staff:,} staff, "
            f"{self.reviews:,} reviews, "
            f"{self.objectives:,} objectives",
            f"  {self.events:,} events in {self.seconds:.1f} s ({rate:,.0f} events/s, "
            f"{_count(self.chunks, 'chunk')})",
        ]
        for c in (self.previous_cycle, self.current_cycle):
            lines.append(f"  cycle {c.name} ({c.status}): {c.id}")
        lines.append("People to try the API as:")
        lines += [s.describe() for s in self.samples]
        return "\n".join(lines)

    def describe_people(self) -> str:
        """The trust, its cycles and the people to try the API as (no generation figures)."""
        lines = [f"{self.trust_name} (trust {self.trust_id}, seed {self.seed})"]
        for c in (self.previous_cycle, self.current_cycle):
            lines.append(f"  cycle {c.name} ({c.status}): {c.id}")
        lines.append("People to try the API as:")
        lines += [s.describe() for s in self.samples]
        return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
