"""No database: the links are written into the OpenAPI document where they belong, named
by the target's operationId; a link the document can't hold is an error naming it, not
a link dropped. (That every link leads somewhere on real answers:
tests/e2e/test_openapi_stateful.py.)"""

from __future__ import annotations

import pytest

from service.api.links import Link, add_links

SHARED_ANSWER = {"description": "a list"}


def _document() -> dict:
    return {
        "paths": {
            "/things": {
                "get": {"operationId": "list_things", "responses": {"200": SHARED_ANSWER}},
                "post": {"operationId": "add_thing", "responses": {"201": {"description": "x"}}},
            },
            "/others": {"get": {"operationId": "list_others", "responses": {"200": SHARED_ANSWER}}},
            "/things/{id}": {"get": {"operationId": "get_thing", "responses": {}}},
        }
    }


GET_THING = Link(
    "GetThing",
    ("POST", "/things", "201"),
    ("GET", "/things/{id}"),
    "the thing made",
    {"path.id": "$response.body#/id"},
)


def test_a_link_is_written_on_its_source_answer_naming_the_target_operation():
    document = add_links(_document(), (GET_THING,))
    links = document["paths"]["/things"]["post"]["responses"]["201"]["links"]
    assert links == {
        "GetThing": {
            "operationId": "get_thing",
            "description": "the thing made",
            "parameters": {"path.id": "$response.body#/id"},
        }
    }


def test_an_answer_declared_once_for_two_operations_gets_only_its_own_links():
    first = Link("FirstThing", ("GET", "/things", "200"), ("GET", "/things/{id}"), "first")
    document = add_links(_document(), (first,))
    assert "links" in document["paths"]["/things"]["get"]["responses"]["200"]
    assert "links" not in document["paths"]["/others"]["get"]["responses"]["200"]
    assert "links" not in SHARED_ANSWER


@pytest.mark.parametrize(
    "link",
    [
        Link("Nowhere", ("POST", "/things", "201"), ("DELETE", "/things/{id}"), "no such target"),
        Link("NoAnswer", ("POST", "/things", "200"), ("GET", "/things/{id}"), "no such answer"),
    ],
)
def test_a_link_the_document_cannot_hold_is_refused_naming_it(link):
    with pytest.raises(KeyError, match=link.name):
        add_links(_document(), (link,))


def test_every_link_of_the_service_finds_its_source_answer_and_target():
    from service.api.app import create_app
    from service.api.links import LINKS
    from service.settings import Settings

    document = create_app(Settings()).openapi()
    for link in LINKS:
        method, path, status = link.source
        written = document["paths"][path][method.lower()]["responses"][status]["links"]
        assert written[link.name]["operationId"]
