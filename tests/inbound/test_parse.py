import hashlib

import pytest

from bot import tokens
from bot.inbound.parse import ParseError, parse

OURS = {"reply_local": "replies", "our_domain": "secretariat.example.org"}
TOKEN = "7K3M9QX2BH4"
TOKEN += tokens.check_char(TOKEN)


def p(raw: bytes):
    return parse(raw, **OURS)


def test_it_reads_a_top_posted_french_outlook_reply():
    raw = (
        "From: Jean Dupont <jean.dupont@justice.gouv.fr>\r\n"
        f"To: replies+{TOKEN.lower()}@secretariat.example.org\r\n"
        "Subject: RE: [FB-42] Demande de clarification\r\n"
        "Message-ID: <AM0PR01@justice.gouv.fr>\r\n"
        "In-Reply-To: <out-42@secretariat.example.org>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="iso-8859-1"\r\n'
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
        "Bonjour,\r\n\r\nL'autorit\xe9 centrale d\xe9sign\xe9e est le minist\xe8re de la "
        "Justice.\r\n\r\n"
        "Cordialement,\r\nJean Dupont\r\n\r\n"
        "________________________________\r\n"
        "De\xa0: Secr\xe9tariat <replies+x@secretariat.example.org>\r\n"
        "Envoy\xe9\xa0: lundi 3 mars 2025 10:00\r\n"
        "\xc0\xa0: Jean Dupont\r\n"
        "Objet\xa0: [FB-42] Demande de clarification\r\n\r\n"
        "Madame, Monsieur, nous vous prions de bien vouloir pr\xe9ciser...\r\n"
    ).encode("latin-1")
    mail = p(raw)
    assert mail.kind == "reply"
    assert mail.language == "fr"
    assert mail.token == TOKEN and mail.token_valid
    assert mail.subject_tag == 42
    assert mail.in_reply_to == "<out-42@secretariat.example.org>"
    assert mail.new_text == (
        "Bonjour,\n\nL'autorité centrale désignée est le ministère de la Justice.\n\n"
        "Cordialement,\nJean Dupont"
    )
    assert mail.problems == []


def test_it_reads_a_chinese_gb2312_reply_with_gbk_characters():
    body = (
        "您好：\n\n我国的中央机关是司法部。联系人：朱镕基。\n\n"
        "发件人： 秘书处 <replies@secretariat.example.org>\n"
        "发送时间： 2025年3月3日 10:00\n"
        "收件人： 王伟\n"
        "主题： [FB-7] 澄清请求\n\n请说明贵国的中央机关。\n"
    )
    raw = (
        b"From: =?gb2312?B?zfXOsA==?= <wang.wei@mfa.gov.cn>\r\n"
        b"To: replies@secretariat.example.org\r\n"
        b"Subject: =?gb2312?B?u9i4tDogW0ZCLTddIENlbnRyYWw=?=\r\n"
        b"Content-Type: text/plain; charset=gb2312\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body.encode("gb18030")
    )
    mail = p(raw)
    assert mail.language == "zh"
    # as written: full-width colons kept
    assert mail.new_text == "您好：\n\n我国的中央机关是司法部。联系人：朱镕基。"
    assert mail.subject_tag == 7
    assert not any(x.startswith("charset") for x in mail.problems)


def test_it_reads_an_arabic_outlook_reply_with_bidi_marks():
    rlm = "\u200f"
    body = (
        "السيد المحترم،\n\nنؤكد أن السلطة المركزية هي وزارة العدل.\n\nمع التحية\n\n"
        f"{rlm}من: الأمانة <replies@secretariat.example.org>\n"
        f"{rlm}تم الإرسال: الاثنين، 3 مارس 2025 10:00 ص\n"
        f"{rlm}إلى: أحمد\n"
        f"{rlm}الموضوع: طلب توضيح\n\nيرجى توضيح...\n"
    )
    raw = (
        b"From: a@moj.gov.eg\r\nTo: replies@secretariat.example.org\r\n"
        b"Subject: =?utf-8?b?2LHYrzog?=\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body.encode()
    )
    mail = p(raw)
    assert mail.language == "ar"
    assert mail.new_text == "السيد المحترم،\n\nنؤكد أن السلطة المركزية هي وزارة العدل.\n\nمع التحية"


def test_it_cuts_an_arabic_wrote_line():
    body = (
        "نعم، تم التصديق.\n\nفي الاثنين، 3 مارس 2025، كتب الأمانة "
        "<replies@secretariat.example.org>:\n> سؤال\n"
    )
    raw = (
        b"From: a@moj.gov.eg\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + body.encode()
    )
    assert p(raw).new_text == "نعم، تم التصديق."


def test_it_cuts_a_russian_pishet_line():
    body = (
        "Добрый день!\n\nЦентральным органом является Генеральная прокуратура.\n\n"
        "3 марта 2025 г., в 10:00, Секретариат <replies@secretariat.example.org> пишет:\n"
        "> Просим уточнить...\n"
    )
    raw = (
        b"From: ivan@genproc.gov.ru\r\nSubject: Re: x\r\n"
        b"Content-Type: text/plain; charset=koi8-r\r\n\r\n" + body.encode("koi8-r")
    )
    mail = p(raw)
    assert mail.language == "ru"
    assert mail.new_text == "Добрый день!\n\nЦентральным органом является Генеральная прокуратура."


def test_it_cuts_a_spanish_escribio_line_and_keeps_the_mobile_signature_apart():
    body = (
        "Estimados:\n\nLa autoridad central es la Fiscalía General de la Nación.\n\n"
        "Enviado desde mi iPhone\n\n"
        "El 3 mar 2025, a las 10:00, Secretaría <replies@secretariat.example.org> "
        "escribió:\n> Por favor...\n"
    )
    raw = (
        b"From: ana@fiscalia.gov.co\r\nSubject: RE: x\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + body.encode()
    )
    mail = p(raw)
    assert mail.language == "es"
    assert (
        mail.new_text == "Estimados:\n\nLa autoridad central es la Fiscalía General de la Nación."
    )
    assert mail.signature == "Enviado desde mi iPhone"


def test_it_reads_an_html_only_gmail_reply():
    html = (
        '<div dir="ltr">Dear Secretariat,<div><br></div><div>Our central authority is the '
        "Ministry of Justice &amp; Public Security.</div><div><br></div><div>Kind "
        "regards,<br>Ola</div></div>"
        '<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, 3 Mar 2025 '
        "at 10:00, "
        "Secretariat &lt;replies@secretariat.example.org&gt; wrote:<br></div>"
        '<blockquote class="gmail_quote" style="margin:0">Please tell us <b>which</b> '
        "authority...</blockquote></div>"
    )
    raw = (
        b"From: ola@justis.no\r\nSubject: Re: x\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n" + html.encode()
    )
    mail = p(raw)
    assert mail.new_text == (
        "Dear Secretariat,\n\nOur central authority is the Ministry of Justice & Public "
        "Security.\n\nKind regards,\nOla"
    )
    assert mail.language == "en"


def test_it_stops_an_outlook_html_reply_at_the_quoted_header():
    html = (
        "<html><head><style>p {margin:0}</style></head><body><p>Yes, confirmed.</p>"
        '<div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>From:</b> Secretariat</div>'
        "<div>Please confirm...</div></body></html>"
    )
    raw = (
        b"From: x@gov.example\r\nSubject: RE: y\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        + html.encode()
    )
    assert p(raw).new_text == "Yes, confirmed."


def test_it_keeps_inline_answers_between_quoted_lines():
    body = (
        "> 1. Has your State designated a central authority?\n"
        "Yes, the Ministry of Justice.\n\n"
        "> 2. Does it accept requests in English?\n"
        "No, only in French.\n"
    )
    raw = (
        b"From: x@gov.example\r\nSubject: Re: y\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + body.encode()
    )
    mail = p(raw)
    assert mail.new_text == "Yes, the Ministry of Justice.\n\nNo, only in French."
    assert mail.answers == {
        "inline": {
            "1. Has your State designated a central authority?": "Yes, the Ministry of Justice.",
            "2. Does it accept requests in English?": "No, only in French.",
        }
    }


@pytest.mark.parametrize(
    "headers",
    [
        "Auto-Submitted: auto-replied\r\nSubject: Out of office",
        "X-Autoreply: yes\r\nSubject: Re: x",
        "Precedence: junk\r\nSubject: Re: x",
        "Subject: =?utf-8?q?R=C3=A9ponse_automatique=C2=A0:_[FB-3]_Demande?=",
        "Subject: =?utf-8?b?6Ieq5Yqo5Zue5aSN77yaIFtGQi0zXQ==?=",
    ],
)
def test_it_recognises_auto_replies(headers):
    raw = (
        f"From: x@gov.example\r\n{headers}\r\nContent-Type: text/plain\r\n\r\n"
        "I am away until Monday.\r\n".encode()
    )
    assert p(raw).kind == "auto_reply"


def test_auto_submitted_no_is_a_person():
    raw = b"From: x@gov.example\r\nAuto-Submitted: no\r\nSubject: Re: x\r\n\r\nYes.\r\n"
    assert p(raw).kind == "reply"


BOUNCE = b"""\
From: Mail Delivery System <MAILER-DAEMON@mx.secretariat.example.org>
To: replies@secretariat.example.org
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system. Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.secretariat.example.org

Final-Recipient: rfc822; old.focal.point@justice.gouv.fr
Original-Recipient: rfc822;old.focal.point@justice.gouv.fr
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--B
Content-Type: text/rfc822-headers

From: Secretariat <replies+abc@secretariat.example.org>
Message-ID: <out-9@secretariat.example.org>
Subject: [FB-9] Questionnaire

--B--
"""


def test_it_reads_a_delivery_status_report():
    mail = p(BOUNCE)
    assert mail.kind == "bounce"
    assert mail.bounce == {
        "recipient": "old.focal.point@justice.gouv.fr",
        "status": "5.1.1",
        "permanent": True,
        "message_id": "<out-9@secretariat.example.org>",
    }


def test_a_delayed_delivery_is_not_permanent():
    raw = BOUNCE.replace(b"Action: failed", b"Action: delayed").replace(
        b"Status: 5.1.1", b"Status: 4.4.1"
    )
    assert p(raw).bounce["permanent"] is False


def test_it_reports_a_mistyped_token_without_trusting_it():
    good = TOKEN
    bad = good[:3] + ("A" if good[3] != "A" else "B") + good[4:]
    raw = (
        f"From: x@gov.example\r\nTo: replies+{bad.lower()}@secretariat.example.org\r\n"
        "Subject: Re: x\r\n\r\nYes.\r\n".encode()
    )
    mail = p(raw)
    assert mail.token == bad
    assert mail.token_valid is False


def test_it_flags_mail_from_our_own_domain_as_a_loop():
    raw = b"From: replies@secretariat.example.org\r\nSubject: Re: x\r\n\r\nYes.\r\n"
    mail = p(raw)
    assert mail.kind == "unrelated"
    assert "loop" in mail.problems


def test_it_falls_back_when_the_declared_charset_is_wrong():
    raw = (
        b"From: x@gov.example\r\nSubject: Re: x\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Le minist\xe8re de la Justice est comp\xe9tent pour les demandes d'entraide.\r\n"
    )
    mail = p(raw)
    assert "ministère" in mail.new_text
    assert any(x.startswith("charset: body is not valid utf-8") for x in mail.problems)


def test_it_lists_attachments_with_their_digest():
    pdf = b"%PDF-1.4 not really a pdf"
    raw = (
        b"From: x@gov.example\r\nSubject: Re: x\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="X"\r\n\r\n'
        b"--X\r\nContent-Type: text/plain\r\n\r\nPlease find the law attached.\r\n"
        b"--X\r\nContent-Type: application/pdf\r\n"
        b'Content-Disposition: attachment; filename="loi.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQgbm90IHJlYWxseSBhIHBkZg==\r\n"
        b"--X--\r\n"
    )
    mail = p(raw)
    assert mail.new_text == "Please find the law attached."
    assert mail.attachments == [
        {
            "filename": "loi.pdf",
            "content_type": "application/pdf",
            "size": len(pdf),
            "sha256": hashlib.sha256(pdf).hexdigest(),
        }
    ]


def test_broken_mime_becomes_a_problem_not_an_error():
    raw = (
        b"From: x@gov.example\r\nSubject: Re: x\r\n"
        b'Content-Type: multipart/mixed; boundary="X"\r\n\r\nno boundary ever\r\n'
    )
    mail = p(raw)
    assert any(x.startswith("mime:") for x in mail.problems)


@pytest.mark.parametrize(
    "raw", [b"", b"   \r\n", b"\x00\xff\xfe\x89 garbage without any header\r\n"]
)
def test_input_that_is_no_mail_message_raises_parse_error(raw):
    with pytest.raises(ParseError) as info:
        p(raw)
    assert info.value.reason


@pytest.mark.parametrize("written", ["FB-10", "fb 10", "FB10", "[FB-10]"])
def test_a_reference_written_in_the_reply_itself_is_read_however_it_is_typed(written):
    body = (
        f"Concernant {written} : nous confirmons.\n\nOn Thu, 3 Dec 2026, secretariat wrote:\n"
        "> [FB-4] Questionnaire\n> [FB-10] Mise à jour\n"
    )
    raw = (
        b"From: a@justice.gouv.sn\r\nSubject: Re: x\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + body.encode()
    )
    parsed = p(raw)
    assert parsed.text_refs == ["FB-10"]
    assert parsed.history_refs == ["FB-4"]


def test_a_word_that_only_contains_fb_is_no_reference():
    raw = b"From: a@b.example\r\nSubject: Re: x\r\n\r\nSee the FBI10 report and xfb-10.\r\n"
    assert p(raw).text_refs == []
