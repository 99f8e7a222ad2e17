"""Each form kind answered and sent with w3m, the text browser, in the six languages.

w3m keeps no cookie from one run to the next, so this also shows that a form needs
none: each page's CSRF token is bound to its link (forms.csrf). Each page is fetched
with ``w3m -dump_source`` (the page as w3m got it), posted with ``w3m -post`` (form
encoding, redirects followed, as w3m submits a form), and the confirmation read from
``w3m -dump``. The answers are each kind's test answers (tests/forms/helpers.py).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlencode, urljoin

import pytest
from sqlalchemy import select

from bot import kinds, links
from bot.model import Submission
from tests.forms.helpers import SAMPLES, csrf_token_in, make_request

LANGUAGES = [("FR", "fr"), ("EG", "ar"), ("CN", "zh"), ("RU", "ru"), ("MX", "es"), ("GB", "en")]
_URL = re.compile(r"^W3m-current-url: (\S+)$", re.M)
_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')


def _w3m(*args: str) -> str:
    w3m = shutil.which("w3m")
    if w3m is None:
        pytest.fail("w3m is not installed: `make test` installs it (apt-get install w3m)")
    return subprocess.run(
        [w3m, "-cols", "100", "-o", "accept_encoding=identity", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout


def _post(tmp_path: Path, url: str, data: dict) -> tuple[str, str]:
    """Post ``data`` to ``url`` as w3m submits a form: (the URL it ends on, its page)."""
    body = tmp_path / "post.txt"
    body.write_text(urlencode(data, doseq=True), encoding="ascii")
    out = _w3m("-dump_extra", "-post", str(body), url)
    found = _URL.search(out)
    assert found, out[:500]
    return found.group(1), out


def _form_action(base_url: str, html: str) -> str:
    found = _ACTION.search(html)
    assert found, html[:500]
    return urljoin(base_url, found.group(1).replace("&amp;", "&"))


@pytest.mark.parametrize(("code", "lang"), LANGUAGES)
@pytest.mark.parametrize("kind", kinds.names())
def test_each_kind_is_answered_and_sent_with_w3m(served, session, tmp_path, kind, code, lang):
    req = make_request(session, kind=kind, code=code, language=lang)
    raw = links.create(session, req, req.state.contacts[0], days=120)
    session.commit()
    url = f"{served}/f/{raw}?lang={lang}"
    for _ in range(40):
        html = _w3m("-dump_source", url)
        data = dict(SAMPLES[kind], csrf_token=csrf_token_in(html))
        if "/review" in url:
            data = {"csrf_token": data["csrf_token"]}
        else:
            data["go_next"] = "1"
        url, out = _post(tmp_path, _form_action(url, html), data)
        if "/done" in url:
            break
    else:
        raise AssertionError(f"{kind}/{lang}: the form never reached its confirmation")
    sub = session.scalar(select(Submission).where(Submission.request_id == req.id))
    assert sub is not None, f"{kind}/{lang}: nothing was submitted"
    assert sub.reference in out  # the confirmation page, as w3m shows it, names it
