"""A form's pages, its summary, its final submit and its confirmation.

Every page sent saves its valid answers in the request's draft (an answer that
is not valid keeps the one saved before it and is shown with its message) and
moves to the next page asked; a follow-up opened by an answer is shown on the
same page first. The last page leads to a summary, and only the summary's
button submits. A submission is a new version each time; the link then opens
the last answers for a correction.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _

from bot.db import get_session
from bot.directory.changes import applies_at_once, apply_change, load_policy
from bot.inbound.receipts import queue_form_receipt
from bot.model import Contact, Request, Submission
from bot.requests import record_submission

from . import build, drafts, uploads
from .questionnaires import Field, Questionnaire, for_request, text

GO = ("next", "back", "save")


def url_token() -> str:
    """The token the page was opened with (a form link's secret): every link it makes keeps it."""
    return (request.view_args or {}).get("token", "")


def _file_cap() -> int:
    return int(current_app.config.get("FORM_FILE_MAX_BYTES", uploads.DEFAULT_CAP))


def _file_problem(problem: str, name: str) -> str:
    if problem == "too_large":
        return _(
            "The file %(name)s is larger than %(max)d MB. Please send a smaller file, or send it "
            "by email.",
            name=name,
            max=max(1, _file_cap() // (1024 * 1024)),
        )
    if problem == "refused_type":
        return _(
            "The file %(name)s is not of a type the secretariat accepts. Please send a PDF, Word "
            "(DOC, DOCX), Excel (XLSX), OpenDocument (ODT) or plain text file.",
            name=name,
        )
    if problem == "mismatch":
        return _(
            "The content of the file %(name)s does not match its name. Please check that it is "
            "the right file and that its name ends with the right extension.",
            name=name,
        )
    return _("The file %(name)s is empty.", name=name)


def _render(
    req: Request,
    q: Questionnaire,
    lang: str,
    index: int,
    fields: list[Field],
    form,
    data: dict,
    *,
    notice: str = "",
    status: int = 200,
):
    asked = q.asked_pages(data) or [index]
    position = asked.index(index) + 1 if index in asked else 1
    last = drafts.last_submission(get_session(), req)
    page = render_template(
        "forms/form.html",
        req=req,
        q=q,
        lang=lang,
        index=index,
        page=q.pages[index],
        fields=fields,
        form=form,
        data=data,
        notice=notice,
        position=position,
        pages=len(asked),
        first=position == 1,
        last=last,
        text=text,
        shown=drafts.shown,
        multipart=any(f.type == "file" for f in fields),
    )
    return page, status


def _context(req: Request, contact: Contact | None, lang: str):
    q = for_request(req)
    draft = drafts.find(get_session(), req, contact)
    data = draft.data if draft else drafts.initial(get_session(), req, contact, q)
    return q, draft, data


def _index(q: Questionnaire, data: dict, wanted: Any, fallback: int) -> int:
    asked = q.asked_pages(data) or [0]
    try:
        index = int(wanted)
    except (TypeError, ValueError):
        index = fallback
    return index if index in asked else (fallback if fallback in asked else asked[0])


def _go(form) -> str:
    """Which button was pressed: each is an <input type="submit"> of its own name (a text
    browser shows those as buttons, not a <button>); ``go`` is read too."""
    for choice in ("back", "save", "next"):
        if f"go_{choice}" in form:
            return choice
    return form.get("go", "next")


def show(req: Request, contact: Contact | None, lang: str, *, notice: str = ""):
    """The page asked for (?page=), else the one the draft was left at."""
    q, draft, data = _context(req, contact, lang)
    index = _index(q, data, request.args.get("page"), draft.page if draft else 0)
    fields = q.page_fields(index, data)
    form = build.form_class(q, lang, fields)(formdata=None, data=build.form_data(fields, data))
    missing = drafts.missing(q, data).get(index, []) if request.args.get("check") else []
    for name in missing:
        form[name].errors = [str(build.REQUIRED)]
    if request.args.get("more"):
        notice = _("Your answers open the further questions below.")
    elif request.args.get("saved"):
        notice = _("Your answers are saved. You can come back to this link at any time.")
    elif missing:
        notice = _("Some answers need your attention: please see the messages below.")
    return _render(req, q, lang, index, fields, form, data, notice=notice)


def _values(q: Questionnaire, fields: list[Field], form) -> dict[str, Any]:
    """The valid answers of a page; files checked and stored, their problems as errors."""
    values: dict[str, Any] = {}
    root = current_app.config["FOCALBOT"].attachment_dir
    for spec in fields:
        field = form[spec.name]
        if spec.type == "file":
            storage = field.data
            if storage is None or not getattr(storage, "filename", ""):
                continue
            checked = uploads.check(
                storage.filename, uploads.read_capped(storage.stream, _file_cap()), _file_cap()
            )
            if checked.problem:
                field.errors = [*field.errors, _file_problem(checked.problem, checked.filename)]
            else:
                values[spec.name] = uploads.keep(root, checked)
        elif not field.errors:
            values[spec.name] = build.value_of(spec, field.data)
    return values


def post(req: Request, contact: Contact | None, lang: str):
    """A page sent: its answers saved, then the next page, the same page, or the summary."""
    session = get_session()
    q, draft, data = _context(req, contact, lang)
    if draft is None:
        draft = drafts.start(session, req, contact, q, lang)
    before = dict(draft.data)
    index = _index(q, before, request.args.get("page"), draft.page)
    fields = q.page_fields(index, before)
    form = build.form_class(q, lang, fields)()
    form.validate()
    values = _values(q, fields, form)
    go = _go(request.form)
    merged = {**before, **values}
    asked = q.asked_pages(merged)
    errors = any(form[f.name].errors for f in fields)
    opened = {f.name for f in q.page_fields(index, merged)} - {f.name for f in fields}
    target = index
    if opened or errors:
        pass
    elif go == "next":
        later = [n for n in asked if n > index]
        target = later[0] if later else index
    elif go == "back":
        earlier = [n for n in asked if n < index]
        target = earlier[-1] if earlier else index
    drafts.save(draft, values, target, lang)
    session.commit()
    if errors:
        notice = _("Some answers need your attention: please see the messages below.")
        return _render(req, q, lang, index, fields, form, draft.data, notice=notice)
    token = url_token()
    if opened:
        return redirect(url_for("forms.answer", token=token, lang=lang, page=index, more=1), 303)
    if go == "save":
        return redirect(url_for("forms.answer", token=token, lang=lang, page=index, saved=1), 303)
    if go == "next" and target == index:
        return redirect(url_for("forms.review", token=token, lang=lang), 303)
    return redirect(url_for("forms.answer", token=token, lang=lang, page=target), 303)


def too_large_notice() -> str:
    return _(
        "What you sent is too large to be received: each file may be at most %(max)d MB. "
        "Your earlier pages are saved; please send this page again with smaller files.",
        max=max(1, _file_cap() // (1024 * 1024)),
    )


def resend(req: Request, contact: Contact | None, lang: str, notice: str, *, status: int = 400):
    """A page that could not be taken (no valid session, too large): shown again with what was
    typed when it could be read, nothing saved from it."""
    q, draft, data = _context(req, contact, lang)
    index = _index(q, data, request.args.get("page"), draft.page if draft else 0)
    fields = q.page_fields(index, data)
    formdata = request.form if status != 413 else None
    form = build.form_class(q, lang, fields)(formdata=formdata, data=build.form_data(fields, data))
    return _render(req, q, lang, index, fields, form, data, notice=notice, status=status)


def review(
    req: Request, contact: Contact | None, lang: str, *, notice: str = "", status: int = 200
):
    """The summary of the draft, with the one button that submits it."""
    q, draft, data = _context(req, contact, lang)
    if draft is None:
        return redirect(url_for("forms.answer", token=url_token(), lang=lang), 303)
    missing = drafts.missing(q, data)
    return render_template(
        "forms/review.html",
        req=req,
        q=q,
        lang=lang,
        summary=drafts.summary(q, data, lang),
        missing=missing,
        text=text,
        last=drafts.last_submission(get_session(), req),
        notice=notice,
    ), status


def submit(req: Request, contact: Contact | None, lang: str):
    """The final submit: the answers asked stored as a new version, the receipt queued."""
    session = get_session()
    q, draft, data = _context(req, contact, lang)
    if draft is None:  # sent already (a replayed submit), or nothing was saved
        return redirect(url_for("forms.done", token=url_token(), lang=lang), 303)
    missing = drafts.missing(q, data)
    if missing:
        page = min(missing)
        return redirect(
            url_for("forms.answer", token=url_token(), lang=lang, page=page, check=1), 303
        )
    answers = drafts.final_data(q, data)
    directory = q.prefill == "contact" and contact is not None
    at_once = False
    if directory:
        assert contact is not None  # a directory form is always a contact's own entry
        answers = build.directory_changes(answers, contact)
        fields = list(answers.get("changes") or {})
        at_once = applies_at_once(load_policy(), "form", contact.state_code, fields)
    submission = record_submission(
        session,
        req,
        answers,
        source="form",
        submitted_by=build.submitted_by(answers, q),
        language=lang,
        review="accepted" if at_once else "pending",
    )
    if at_once:
        assert contact is not None
        apply_change(
            session,
            contact,
            {name: change["new"] for name, change in (answers.get("changes") or {}).items()},
            actor=submission.submitted_by,
            source="form",
            by_state=True,
            submission_id=submission.id,
        )
    lines = [
        (line.label, line.value)
        for _n, _title, page_lines in drafts.summary(q, answers, lang)
        for line in page_lines
    ]
    queue_form_receipt(
        session,
        current_app.config["FOCALBOT"],
        submission,
        req,
        contact,
        lines,
        title=text(q.title, lang),
    )
    session.delete(draft)
    session.commit()
    return redirect(url_for("forms.done", token=url_token(), lang=lang), 303)


def done(req: Request, lang: str):
    """The confirmation: the reference of the last answers and what they were."""
    q = for_request(req)
    last: Submission | None = drafts.last_submission(get_session(), req)
    summary = drafts.summary(q, last.data, lang) if last is not None else []
    return render_template(
        "forms/done.html",
        req=req,
        lang=lang,
        title=text(q.title, lang),
        last=last,
        summary=summary,
        q=q,
    )
