"""Reports for the Conference: response rates, time to answer, reminders, who has not answered.

The computations are pure functions over plain rows (``ReportRow``); ``load_rows`` and
``load_clarifications`` are the only queries, a fixed number per report whatever its size.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import audit
from .model import (
    AnswerTag,
    Delivery,
    Message,
    OutboxItem,
    Request,
    RequestKind,
    RequestStatus,
    State,
    Submission,
)
from .policy.ladder import Policy

ANSWERED = RequestStatus.ANSWERED.value
OPEN = RequestStatus.OPEN.value
FINDINGS = ("compliance_issue", "difficulty")


class ReportRow(NamedTuple):
    """One request as the report reads it (a tuple: tens of thousands are made per page)."""

    id: int
    state: str
    group: str  # the State's United Nations regional group ("" when none)
    instrument: str  # "" when the request is about no one instrument
    kind: str
    cycle: str
    campaign: int | None
    status: str
    due: date
    opened_at: datetime
    answered_at: datetime | None
    reminders: int  # reminder letters sent (every ladder step but the opening one)


@dataclass(frozen=True)
class Rate:
    requests: int
    answered: int

    @property
    def percent(self) -> float:
        return round(100 * self.answered / self.requests, 1) if self.requests else 0.0


@dataclass(frozen=True)
class Timing:
    answers: int
    median_days: float | None
    mean_days: float | None
    fastest_days: float | None
    slowest_days: float | None
    reminders: int  # reminders sent to the requests that were answered
    reminders_per_answer: float | None


@dataclass(frozen=True)
class Responses:
    overall: Rate
    by_group: dict[str, Rate]
    by_instrument: dict[str, Rate]
    timing: Timing
    not_answered: list[ReportRow]  # all of them, or the first ones of a page
    open: int  # how many are still open


def select_rows(
    rows: Iterable[ReportRow], *, campaign: int | None = None, cycle: str | None = None
) -> list[ReportRow]:
    """The rows of one campaign and/or one reporting cycle."""
    return [
        r
        for r in rows
        if (campaign is None or r.campaign == campaign) and (cycle is None or r.cycle == cycle)
    ]


class Tally(NamedTuple):
    """How many requests of one regional group, instrument and status."""

    group: str
    instrument: str
    status: str
    n: int


class Answer(NamedTuple):
    """One answered request: how long it took, and the reminders it needed."""

    days: float | None
    reminders: int


def tally(rows: Iterable[ReportRow]) -> list[Tally]:
    counted: dict[tuple[str, str, str], int] = defaultdict(int)
    for r in rows:
        counted[(r.group, r.instrument, r.status)] += 1
    return [Tally(*key, n) for key, n in sorted(counted.items())]


def days_to_answer(row: ReportRow) -> float | None:
    if row.status != ANSWERED or row.answered_at is None:
        return None
    return round((row.answered_at - row.opened_at).total_seconds() / 86400, 1)


def answers(rows: Iterable[ReportRow]) -> list[Answer]:
    return [Answer(days_to_answer(r), r.reminders) for r in rows if r.status == ANSWERED]


def rate(tallies: Iterable[Tally]) -> Rate:
    requests = answered = 0
    for t in tallies:
        requests += t.n
        answered += t.n if t.status == ANSWERED else 0
    return Rate(requests, answered)


def rates_by(tallies: Iterable[Tally], key: str) -> dict[str, Rate]:
    """Response rates grouped by ``group`` or ``instrument``, in key order."""
    grouped: dict[str, list[Tally]] = defaultdict(list)
    for t in tallies:
        grouped[getattr(t, key)].append(t)
    return {k: rate(grouped[k]) for k in sorted(grouped)}


def timing(answered: Sequence[Answer]) -> Timing:
    days = [a.days for a in answered if a.days is not None]
    reminders = sum(a.reminders for a in answered)
    return Timing(
        answers=len(answered),
        median_days=round(statistics.median(days), 1) if days else None,
        mean_days=round(statistics.fmean(days), 1) if days else None,
        fastest_days=min(days) if days else None,
        slowest_days=max(days) if days else None,
        reminders=reminders,
        reminders_per_answer=round(reminders / len(answered), 2) if answered else None,
    )


def not_answered(rows: Iterable[ReportRow]) -> list[ReportRow]:
    """The requests still open, by State."""
    return sorted((r for r in rows if r.status == OPEN), key=lambda r: (r.state, r.id))


def summarise(
    tallies: Sequence[Tally], answered: Sequence[Answer], still_open: list[ReportRow]
) -> Responses:
    return Responses(
        overall=rate(tallies),
        by_group=rates_by(tallies, "group"),
        by_instrument=rates_by(tallies, "instrument"),
        timing=timing(answered),
        not_answered=still_open,
        open=sum(t.n for t in tallies if t.status == OPEN),
    )


def responses(rows: Sequence[ReportRow]) -> Responses:
    return summarise(tally(rows), answers(rows), not_answered(rows))


# -- the tags officers put on answers ------------------------------------------------------


@dataclass(frozen=True)
class TagRow:
    provision: str
    finding: str  # one of FINDINGS
    state: str
    request: int
    note: str


@dataclass
class ProvisionSummary:
    provision: str
    compliance_issues: int = 0
    difficulties: int = 0
    states: list[str] = field(default_factory=list)


def by_provision(tags: Iterable[TagRow]) -> list[ProvisionSummary]:
    """The tagged findings grouped by provision, each with the States it concerns."""
    found: dict[str, ProvisionSummary] = {}
    for t in tags:
        summary = found.setdefault(t.provision, ProvisionSummary(t.provision))
        if t.finding == "compliance_issue":
            summary.compliance_issues += 1
        else:
            summary.difficulties += 1
        if t.state not in summary.states:
            summary.states.append(t.state)
    for summary in found.values():
        summary.states.sort()
    return [found[k] for k in sorted(found)]


def normalise_provision(text: str) -> str:
    return " ".join(text.split())[:100]


# -- the chart ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    percent: float
    y: int
    width: float


def bars(rates: dict[str, Rate], labels: dict[str, str], width: int = 300) -> list[Bar]:
    """Horizontal bars of a response-rate table, for the report's SVG chart."""
    return [
        Bar(labels.get(k, k), r.percent, 8 + 28 * i, round(width * r.percent / 100, 1))
        for i, (k, r) in enumerate(rates.items())
    ]


# -- the exports -------------------------------------------------------------------------

COLUMNS = (
    "id",
    "state",
    "group",
    "instrument",
    "kind",
    "cycle",
    "campaign",
    "status",
    "due",
    "opened_at",
    "answered_at",
    "days_to_answer",
    "reminders",
)


def export_records(rows: Sequence[ReportRow]) -> list[dict]:
    """One plain record per request, as the CSV, XLSX and JSON exports carry it."""
    records = []
    for r in rows:
        record = r._asdict()
        record["due"] = r.due.isoformat()
        record["opened_at"] = r.opened_at.isoformat()
        record["answered_at"] = r.answered_at.isoformat() if r.answered_at else None
        record["days_to_answer"] = days_to_answer(r)
        records.append({k: record[k] for k in COLUMNS})
    return records


def to_csv(rows: Sequence[ReportRow]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(export_records(rows))
    return out.getvalue()


def to_json(rows: Sequence[ReportRow]) -> str:
    return json.dumps(export_records(rows), ensure_ascii=False, indent=1)


def to_xlsx(rows: Sequence[ReportRow], summary: Responses) -> bytes:
    """A workbook: the requests on one sheet, the rates on another."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "requests"
    sheet.append(list(COLUMNS))
    for record in export_records(rows):
        sheet.append([record[k] for k in COLUMNS])
    rates = book.create_sheet("rates")
    rates.append(["by", "value", "requests", "answered", "percent"])
    rates.append(
        ["overall", "", summary.overall.requests, summary.overall.answered, summary.overall.percent]
    )
    for by, table in (("group", summary.by_group), ("instrument", summary.by_instrument)):
        for key, r in table.items():
            rates.append([by, key, r.requests, r.answered, r.percent])
    t = summary.timing
    rates.append([])
    rates.append(["answers", t.answers])
    rates.append(["median_days", t.median_days])
    rates.append(["reminders_per_answer", t.reminders_per_answer])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- the queries -------------------------------------------------------------------------


def reminder_steps(policy: Policy) -> set[str]:
    """The ladder steps that are reminders: every one but those sent at opening."""
    return {s.name for ladder in policy.ladders.values() for s in ladder.steps if not s.at_open}


def _scope(campaign: int | None, cycle: str | None) -> list:
    where = []
    if campaign is not None:
        where.append(Request.campaign_id == campaign)
    if cycle is not None:
        where.append(Request.cycle == cycle)
    return where


def _reminders(policy: Policy, where: list):
    """{request id: reminders sent} as a query, for the requests in scope."""
    sent = (
        select(OutboxItem.request_id, func.count().label("n"))
        .join(Message, Message.id == OutboxItem.message_id)
        .where(
            Message.delivery == Delivery.SENT.value,
            OutboxItem.step.in_(sorted(reminder_steps(policy))),
        )
        .group_by(OutboxItem.request_id)
    )
    if where:
        sent = sent.join(Request, Request.id == OutboxItem.request_id).where(*where)
    return sent


def _reminder_count(policy: Policy):
    """The reminders sent for the request of the row, as a correlated subquery: counted only
    for the rows a query returns (an index lookup each), not for every request in scope."""
    return (
        select(func.count())
        .select_from(OutboxItem)
        .join(Message, Message.id == OutboxItem.message_id)
        .where(
            OutboxItem.request_id == Request.id,
            Message.delivery == Delivery.SENT.value,
            OutboxItem.step.in_(sorted(reminder_steps(policy))),
        )
        .correlate(Request)
        .scalar_subquery()
    )


def _columns(reminders):
    return select(
        Request.id,
        Request.state_code,
        State.un_group,
        Request.instrument_code,
        Request.kind,
        Request.cycle,
        Request.campaign_id,
        Request.status,
        Request.due_date,
        Request.created_at,
        Request.answered_at,
        reminders,
    )


def _row(values) -> ReportRow:
    rid, state, group, instrument, kind, cyc, camp, status, due, opened, answered, n = values
    return ReportRow(
        rid,
        state,
        group or "",
        instrument or "",
        kind,
        cyc,
        camp,
        status,
        due,
        opened,
        answered,
        n,
    )


def load_rows(
    session: Session,
    policy: Policy,
    *,
    campaign: int | None = None,
    cycle: str | None = None,
) -> list[ReportRow]:
    """The report's rows, every request in scope, in one query."""
    where = _scope(campaign, cycle)
    sent = _reminders(policy, where).subquery()
    query = (
        _columns(func.coalesce(sent.c.n, 0))
        .join(State, State.code == Request.state_code)
        .outerjoin(sent, sent.c.request_id == Request.id)
        .where(*where)
        .order_by(Request.id)
    )
    return [_row(values) for values in session.connection().execute(query)]


def load_summary(
    session: Session,
    policy: Policy,
    *,
    campaign: int | None = None,
    cycle: str | None = None,
    open_limit: int = 500,
) -> Responses:
    """The report's figures for a page, in four queries that return few rows: the tallies,
    each answer's days and reminders, and the first ``open_limit`` requests still open."""
    where = _scope(campaign, cycle)
    connection = session.connection()
    counted = connection.execute(
        select(State.un_group, Request.instrument_code, Request.status, func.count())
        .join(State, State.code == Request.state_code)
        .where(*where)
        .group_by(State.un_group, Request.instrument_code, Request.status)
    ).all()
    tallies = sorted(Tally(g or "", i or "", st, n) for g, i, st, n in counted)
    reminders = _reminder_count(policy)
    answered = [
        Answer(round(seconds / 86400, 1) if seconds is not None else None, n)
        for seconds, n in connection.execute(
            select(_seconds(session, Request.answered_at, Request.created_at), reminders).where(
                Request.status == ANSWERED, *where
            )
        )
    ]
    still_open = [
        _row(values)
        for values in connection.execute(
            _columns(reminders)
            .join(State, State.code == Request.state_code)
            .where(Request.status == OPEN, *where)
            .order_by(Request.state_code, Request.id)
            .limit(open_limit)
        )
    ]
    return summarise(tallies, answered, still_open)


def _seconds(session: Session, later, earlier):
    """Seconds between two timestamps, in the database's own arithmetic."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400


@dataclass(frozen=True)
class Clarification:
    id: int
    state: str
    subject: str
    status: str
    answered_at: datetime | None
    answer: str  # what the State provided, the latest version
    documents: int  # files it sent with it


def clarification_answer(data: dict) -> tuple[str, int]:
    """The text of a clarification's answer and how many files came with it."""
    text = data.get("answer")
    files = data.get("document")
    count = len(files) if isinstance(files, list) else (1 if files else 0)
    return (text if isinstance(text, str) else ""), count


def load_clarifications(
    session: Session,
    *,
    campaign: int | None = None,
    cycle: str | None = None,
    limit: int | None = None,
) -> list[Clarification]:
    """The requests for clarification (the first ``limit``) and the latest answer to each, in
    two queries."""
    where = [Request.kind == RequestKind.CLARIFICATION.value, *_scope(campaign, cycle)]
    connection = session.connection()
    requests = connection.execute(
        select(Request.id, Request.state_code, Request.subject, Request.status, Request.answered_at)
        .where(*where)
        .order_by(Request.state_code, Request.id)
        .limit(limit)
    ).all()
    where.append(Request.id.in_([r[0] for r in requests]))
    latest: dict[int, dict] = {}
    for rid, data in connection.execute(
        select(Submission.request_id, Submission.data)
        .join(Request, Request.id == Submission.request_id)
        .where(*where)
        .order_by(Submission.request_id, Submission.version, Submission.id)
    ):
        latest[rid] = data or {}
    result = []
    for rid, state, subject, status, answered_at in requests:
        text, documents = clarification_answer(latest.get(rid, {}))
        result.append(Clarification(rid, state, subject, status, answered_at, text, documents))
    return result


def load_tags(
    session: Session, *, campaign: int | None = None, cycle: str | None = None
) -> list[TagRow]:
    query = (
        select(
            AnswerTag.provision, AnswerTag.finding, Request.state_code, Request.id, AnswerTag.note
        )
        .join(Request, Request.id == AnswerTag.request_id)
        .where(*_scope(campaign, cycle))
    )
    return [TagRow(*row) for row in session.execute(query.order_by(AnswerTag.id))]


class TagError(ValueError):
    """The tag cannot be added as asked."""


def tag_answer(
    session: Session,
    request: Request,
    *,
    provision: str,
    finding: str,
    note: str = "",
    actor: str,
) -> AnswerTag:
    """Tag a request's latest answer with the provision it concerns and what it shows."""
    provision = normalise_provision(provision)
    if not provision:
        raise TagError("name the provision the answer concerns")
    if finding not in FINDINGS:
        raise TagError(f"the finding is one of {', '.join(FINDINGS)}")
    submission_id = session.scalar(
        select(Submission.id)
        .where(Submission.request_id == request.id)
        .order_by(Submission.version.desc(), Submission.id.desc())
        .limit(1)
    )
    tag = AnswerTag(
        request_id=request.id,
        submission_id=submission_id,
        provision=provision,
        finding=finding,
        note=note.strip()[:1000],
        created_by=actor,
    )
    session.add(tag)
    session.flush()
    audit.record(
        session,
        "answer.tagged",
        request,
        actor=actor,
        tag=tag.id,
        submission=submission_id,
        provision=provision,
        finding=finding,
    )
    return tag
