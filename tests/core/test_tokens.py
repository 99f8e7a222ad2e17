import pytest

from bot import tokens


def test_new_tokens_are_valid_and_distinct():
    made = {tokens.new_token() for _ in range(500)}
    assert len(made) == 500
    assert all(tokens.is_valid(t) for t in made)


def test_it_reads_look_alike_letters_and_lower_case():
    t = tokens.new_token()
    typed = t.lower().replace("0", "o").replace("1", "l")
    assert tokens.is_valid(typed)
    assert tokens.normalise(typed) == t


@pytest.mark.parametrize("position", range(12))
def test_every_single_mistyped_character_is_caught(position):
    t = tokens.new_token()
    for ch in tokens.ALPHABET:
        if ch == t[position]:
            continue
        typo = t[:position] + ch + t[position + 1 :]
        assert not tokens.is_valid(typo), typo


def test_reply_address_round_trip():
    t = tokens.new_token()
    addr = tokens.reply_address(t, "replies@secretariat.example.org")
    assert addr == f"replies+{t.lower()}@secretariat.example.org"
    assert tokens.token_from_address(addr, "replies") == t
    assert tokens.token_from_address("someone@example.org", "replies") is None
