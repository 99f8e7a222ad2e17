"""The read API on PostgreSQL: the same answers, and text PostgreSQL refuses (a NUL) is a 400,
not a server error."""

from __future__ import annotations

from bot import apikeys, db
from tests.api.conftest import bearer, seed
from tests.conftest import make_settings
from tests.forms.helpers import make_user, make_web_app


def test_it_answers_on_postgresql(tmp_path, pg_url):
    web = make_web_app(make_settings(tmp_path, DATABASE_URL=pg_url), csrf=False)
    with web.app_context():
        with db.session() as s:
            make_user(s)
            _, key = apikeys.create(s, "officer@secretariat.example.org", actor="test")
        s = db.SessionFactory()
        seeded = seed(s)
        s.close()
    client, h = web.test_client(), bearer(key)
    for path in ("states", "contacts", "requests", "messages"):
        body = client.get(f"/api/v1/{path}?limit=2", headers=h).json
        assert len(body["data"]) == 2 and body["next"], path
    (campaign,) = client.get("/api/v1/campaigns", headers=h).json["data"]
    assert campaign["requests"] == 3 and campaign["response_rate"] == 0
    rid = seeded["requests"][0]
    assert client.get(f"/api/v1/requests/{rid}", headers=h).json["id"] == rid
    assert client.get(f"/api/v1/messages?request={rid}", headers=h).status_code == 200
    assert client.get("/api/v1/requests?cycle=20%0025", headers=h).status_code == 400
    assert client.get("/api/v1/requests/9223372036854775808", headers=h).status_code == 404
