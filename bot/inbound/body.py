"""Getting text out of MIME parts: charsets, HTML, attachments."""

from __future__ import annotations

import re
from email.message import EmailMessage, Message
from html.parser import HTMLParser

CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-8-i": "iso-8859-8",
    "big5": "big5hkscs",
    "shift_jis": "cp932",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
}

# Single-byte Latin charsets a guess cannot tell apart on short text; English, French
# and Spanish mail in them is read as cp1252, the most common.
_WESTERN_LOOKALIKES = {
    "cp1250", "cp1252", "cp1257", "latin_1", "iso8859_2", "iso8859_3", "iso8859_4", "iso8859_9",
    "iso8859_10", "iso8859_13", "iso8859_14", "iso8859_15", "iso8859_16", "mac_roman", "mac_latin2",
    "mac_iceland", "mac_turkish", "cp1254", "cp850", "cp437",
}


_UTF8 = frozenset({"utf-8", "utf8", "utf-7", "unicode-1-1-utf-7", "utf-16", "utf-16le", "utf-16be"})


def decode_bytes(
    data: bytes, declared: str | None, problems: list[str], where: str = "body"
) -> str:
    """Decode ``data`` in its declared charset, or the best guess with a note in ``problems``."""
    declared = (declared or "").strip().strip('"').lower()
    unlabelled = not declared or declared in ("us-ascii", "ascii")
    if unlabelled or (declared not in _UTF8 and not data.isascii()):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            if not unlabelled:
                problems.append(f"charset: {where} declares {declared} but is UTF-8; read as utf-8")
            return text
    name = CHARSET_ALIASES.get(declared, declared or "us-ascii")
    if declared in ("us-ascii", "ascii") and not data.isascii():
        note = f"charset: {where} is not valid {declared}"
    else:
        try:
            return data.decode(name)
        except LookupError:
            note = f"charset: {where} declares unknown charset {declared!r}"
        except UnicodeDecodeError:
            note = f"charset: {where} is not valid {declared or 'us-ascii'}"
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None and best.encoding:
        encoding, text = best.encoding, str(best)
        if encoding in _WESTERN_LOOKALIKES:
            try:
                encoding, text = "cp1252", data.decode("cp1252")
            except UnicodeDecodeError:
                pass
        problems.append(f"{note}; read as {encoding}")
        return text
    problems.append(f"{note}; undecodable bytes replaced")
    return data.decode("utf-8", errors="replace")


_SURROGATE = re.compile("[\udc80-\udcff]")


def fix_header(value: str, problems: list[str]) -> str:
    """A header with raw 8-bit bytes in it (not RFC 2047 encoded), decoded as best we can."""
    if not _SURROGATE.search(value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    return decode_bytes(data, None, problems, where="header")


def part_text(part: Message, problems: list[str]) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception as exc:  # a broken transfer encoding
        problems.append(f"mime: cannot decode a part ({exc})")
        return ""
    if not isinstance(payload, bytes):
        return ""
    return decode_bytes(payload, part.get_content_charset(), problems)


# -- HTML -------------------------------------------------------------------

_BLOCK = {
    "p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote",
    "pre", "hr", "ul", "ol", "dd", "dt", "section", "article", "header", "footer", "address",
}
_VOID = {
    "br",
    "img",
    "hr",
    "meta",
    "link",
    "input",
    "area",
    "base",
    "col",
    "embed",
    "param",
    "source",
    "track",
    "wbr",
}
_HIDDEN = {"script", "style", "head", "title", "template"}


def _quote_kind(tag: str, attrs: dict[str, str]) -> str | None:
    """'skip' for an element holding quoted history, 'stop' for one after which all is history."""
    classes = (attrs.get("class") or "").lower().split()
    ident = (attrs.get("id") or "").lower()
    if ident in ("divrplyfwdmsg", "appendonsend", "olk_src_body_section") or ident.endswith(
        "divrplyfwdmsg"
    ):
        return "stop"
    if tag == "hr" and ident == "stopspelling":
        return "stop"
    if any(
        c.endswith("gmail_quote") or c in ("moz-cite-prefix", "yahoo_quoted", "protonmail_quote")
        for c in classes
    ):
        return "skip"
    if tag == "blockquote" and (attrs.get("type") or "").lower() == "cite":
        return "skip"
    return None


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip: list[str] = []
        self.stopped = False
        self.pre = 0
        self.removed = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.stopped:
            return
        if self.skip:
            if tag not in _VOID:
                self.skip.append(tag)
            return
        kind = _quote_kind(tag, {k: v or "" for k, v in attrs})
        if kind == "stop":
            self.stopped = self.removed = True
            return
        if kind == "skip" or tag in _HIDDEN:
            self.removed = self.removed or kind == "skip"
            if tag not in _VOID:
                self.skip.append(tag)
            return
        if tag == "pre":
            self.pre += 1
        if tag in _BLOCK:
            self.out.append("\n")
        if tag == "li":
            self.out.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if self.stopped:
            return
        if self.skip:
            if tag in self.skip:
                while self.skip and self.skip.pop() != tag:
                    pass
            return
        if tag == "pre" and self.pre:
            self.pre -= 1
        if tag in _BLOCK and tag != "br":
            self.out.append("\n")

    def handle_data(self, data: str) -> None:
        if self.stopped or self.skip:
            return
        if not self.pre:
            data = re.sub(r"[ \t\r\n\f]+", " ", data)
        self.out.append(data)


def html_to_text(html: str) -> tuple[str, bool]:
    """The visible text of ``html`` without quoted history; and whether any was removed."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.out).split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text, parser.removed


# -- parts ------------------------------------------------------------------


def body_part(msg: EmailMessage) -> Message | None:
    try:
        return msg.get_body(preferencelist=("plain", "html"))
    except Exception:
        return None
