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

    def request_by_token(self, token):
        return self.by_token.get(token)

    def request_by_message_id(self, message_id):
        return self.by_message_id.get(message_id)

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
