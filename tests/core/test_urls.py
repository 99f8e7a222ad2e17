"""A ``?next=`` only ever leads to a path of this site."""

from __future__ import annotations

import pytest

from bot.urls import local_target

EVIL = [
    "//evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/ /evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "evil.example",
    "/\x00/evil.example",
    "",
    None,
]


@pytest.mark.parametrize("target", EVIL)
def test_anything_but_a_local_path_falls_back(target):
    assert local_target(target, "/desk/") == "/desk/"


@pytest.mark.parametrize("target", ["/desk/", "/desk/requests?state=KE&page=2", "/f/abc#x"])
def test_a_local_path_is_kept(target):
    assert local_target(target, "/desk/") == target


@pytest.mark.parametrize("raw", ["/%09/evil.example", "/%0a/evil.example", "%2F%2Fevil.example"])
def test_the_language_switch_refuses_them(client, raw):
    resp = client.get(f"/lang/en?next={raw}")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
