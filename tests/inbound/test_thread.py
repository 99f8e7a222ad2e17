from dataclasses import dataclass, field

from bot import tokens
from bot.inbound.parse import ParsedMail
from bot.inbound.thread import locate

GOOD = "7K3M9QX2BH4" + tokens.check_char("7K3M9QX2BH4")
BAD = GOOD[:-1] + ("0" if GOOD[-1] != "0" else "1")


@dataclass
class FakeLookup:
    by_token: dict = field(default_factory=dict)
    by_message_id: dict = field(default_factory=dict)
    requests: set = field(default_factory=set)
    digests_by_token: dict = field(default_factory=dict)
    digests_by_message_id: dict = field(default_factory=dict)
    kinds: dict = field(default_factory=dict)

    def request_by_token(self, token):
        return self.by_token.get(token)

    def digest_by_token(self, token):
        return self.digests_by_token.get(token, [])

    def request_by_message_id(self, message_id):
        return self.by_message_id.get(message_id)

    def digest_by_message_id(self, message_id):
        return self.digests_by_message_id.get(message_id, [])

    def request_kind(self, request_id):
        return self.kinds.get(request_id)

    def request_exists(self, request_id):
        return request_id in self.requests


LOOKUP = FakeLookup(
    by_token={GOOD: 1},
    by_message_id={"<out-2@secretariat.example.org>": 2, "<out-3@secretariat.example.org>": 3},
    requests={1, 2, 3, 4},
)


def test_a_valid_token_wins_over_everything_else():
    mail = ParsedMail(
        token=GOOD, token_valid=True, in_reply_to="<out-2@secretariat.example.org>", subject_tag=4
    )
    match = locate(mail, LOOKUP)
    assert (match.request_id, match.method) == (1, "token")


def test_in_reply_to_comes_before_references_and_the_subject_tag():
    mail = ParsedMail(
        in_reply_to="<out-2@secretariat.example.org>",
        references=["<out-3@secretariat.example.org>"],
        subject_tag=4,
    )
    assert (locate(mail, LOOKUP).request_id, locate(mail, LOOKUP).method) == (2, "in_reply_to")


def test_the_latest_known_reference_is_used():
    mail = ParsedMail(
        in_reply_to="<someone-else@gov.example>",
        references=[
            "<out-2@secretariat.example.org>",
            "<out-3@secretariat.example.org>",
            "<x@gov.example>",
        ],
    )
    match = locate(mail, LOOKUP)
    assert (match.request_id, match.method) == (3, "references")


def test_a_mistyped_token_is_never_taken_and_the_reason_says_so():
    mail = ParsedMail(token=BAD, token_valid=False)
    match = locate(mail, FakeLookup(by_token={BAD: 9, GOOD: 1}))
    assert match.request_id is None
    assert "check character" in match.reason


def test_a_mistyped_token_falls_back_to_other_evidence():
    mail = ParsedMail(token=BAD, token_valid=False, subject_tag=4)
    match = locate(mail, LOOKUP)
    assert (match.request_id, match.method) == (4, "subject_tag")
    assert "check character" in match.reason


def test_a_bounce_is_threaded_by_the_message_that_bounced():
    mail = ParsedMail(kind="bounce", bounce={"message_id": "<out-3@secretariat.example.org>"})
    assert locate(mail, LOOKUP).method == "bounced_message"


def test_an_unknown_subject_tag_matches_nothing():
    match = locate(ParsedMail(subject_tag=99), LOOKUP)
    assert match.request_id is None and "[FB-99]" in match.reason


DIGEST_TOKEN = "5RW2HN8KT3D" + tokens.check_char("5RW2HN8KT3D")
DIGEST_ID = "<digest-1@secretariat.example.org>"
DIGESTS = FakeLookup(
    requests={11, 12, 13, 14},
    digests_by_token={DIGEST_TOKEN: [11, 12, 13]},
    digests_by_message_id={DIGEST_ID: [11, 12, 13]},
    kinds={11: "questionnaire", 12: "directory_update", 13: "clarification", 14: "clarification"},
)


def test_a_plain_reply_to_a_digest_is_filed_under_every_request_it_carried():
    mail = ParsedMail(
        token=DIGEST_TOKEN, token_valid=True, new_text="Thank you, our answers will follow."
    )
    match = locate(mail, DIGESTS)
    assert match.request_ids == (11, 12, 13)
    assert (match.method, match.scope, match.recorded_method) == ("token", "every", "token:every")
    assert match.strong and "every request the digest carried" in match.reason


def test_a_reply_to_a_digest_naming_a_request_is_filed_under_that_one():
    mail = ParsedMail(
        in_reply_to=DIGEST_ID, new_text="On FB-13: the authority moved.", text_refs=["FB-13"]
    )
    match = locate(mail, DIGESTS)
    assert (match.request_ids, match.method, match.scope) == ((13,), "in_reply_to", "named")


def test_a_request_named_that_the_digest_did_not_carry_does_not_count():
    mail = ParsedMail(token=DIGEST_TOKEN, token_valid=True, text_refs=["FB-14"])
    assert locate(mail, DIGESTS).request_ids == (11, 12, 13)


def test_a_reply_to_a_digest_goes_where_its_content_answers():
    confirm = ParsedMail(token=DIGEST_TOKEN, token_valid=True, answers={"confirm": True})
    assert (locate(confirm, DIGESTS).request_ids, locate(confirm, DIGESTS).scope) == (
        (12,),
        "answer",
    )
    attached = ParsedMail(references=[DIGEST_ID], attachments=[{"filename": "answers.docx"}])
    assert locate(attached, DIGESTS).request_ids == (11,)
    refused = ParsedMail(
        references=[DIGEST_ID], attachments=[{"filename": "x.exe", "refused": "type"}]
    )
    assert locate(refused, DIGESTS).request_ids == (11, 12, 13)


def test_a_reference_in_the_new_text_is_recorded_as_such_not_as_quoted_history():
    own = locate(ParsedMail(text_refs=["FB-14"]), DIGESTS)
    assert (own.request_id, own.method, own.strong) == (14, "text_reference", False)
    quoted = locate(ParsedMail(history_refs=["FB-14"]), DIGESTS)
    assert (quoted.request_id, quoted.method) == (14, "quoted_history")
