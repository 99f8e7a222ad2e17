"""The OpenAPI document names every API route, and only those; schemathesis holds the
responses to it."""

from __future__ import annotations

import re

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bot.api.openapi import PATHS, PREFIX
from tests.api.conftest import bearer, seed

# The one rule under the prefix that is no resource: it answers 404 or 405 for the rest.
CATCH_ALL = "/<path:rest>"


def _routes(app) -> set[str]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and not rule.rule.endswith(CATCH_ALL):
            found.add(re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len(PREFIX) :]) or "/")
    return found


def test_every_api_route_is_in_the_document_and_every_path_is_a_route(web):
    doc = web.test_client().get("/api/v1/openapi.json").json
    assert set(doc["paths"]) == _routes(web)
    for path, ops in doc["paths"].items():
        assert set(ops) == {"get"}, path
        for param in ops["get"].get("parameters", []):
            if param["in"] == "path":
                assert "{" + param["name"] + "}" in path


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,  # a request the document forbids is refused with a 4xx
    positive_data_acceptance,  # and one it allows is not
    ignored_auth,  # without the key: 401
]
RUN = hypothesis.settings(
    max_examples=25,  # per route: enough to reach every parameter's edges, quick enough
    deadline=None,
    derandomize=True,  # the same cases on every run
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)


@pytest.mark.parametrize("path", sorted(PATHS))
def test_the_api_keeps_to_its_document(web, api_key, session, path):
    """Generated requests, with a valid key and against seeded data, get no server error and
    no response that breaks the document (status, content type, headers, body)."""
    seed(session, states=3)
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", web)[path]["GET"]
    calls = []

    @RUN
    @hypothesis.given(case=operation.as_strategy() | operation.as_strategy(GenerationMode.NEGATIVE))
    def run(case):
        calls.append(case.call_and_validate(headers=bearer(api_key), checks=CHECKS).status_code)

    run()
    if "{" in path:  # random keys seldom exist: ask for a seeded one as well
        name = path.split("{")[1].rstrip("}")
        listed = web.test_client().get(PREFIX + path.split("/{")[0], headers=bearer(api_key))
        first = listed.json["data"][0]
        case = operation.Case(path_parameters={name: first["code" if name == "code" else "id"]})
        calls.append(case.call_and_validate(headers=bearer(api_key), checks=CHECKS).status_code)
    assert 200 in calls
