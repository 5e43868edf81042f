"""Property-based tests of every operation in the server's OpenAPI with schemathesis, signed in as a student:
no server errors, responses (success and documented errors) match the schema, status codes are documented.
On SQLite and PostgreSQL: PostgreSQL refuses inputs SQLite takes (NUL characters, integers beyond 32 bits)."""

from __future__ import annotations

import re

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from server_fixtures import make_server
from server_world import build_world

EXAMPLES_PER_OPERATION = 6  # about 60 operations: the whole test stays well under two minutes
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
FIXED_QUERY = {("GET", "/api/notify/stream"): {"once": True}}  # without once=true the stream runs until closed


def _login(srv, person) -> dict:
    r = srv.call("POST", "/api/auth/login", json={"email": person.email, "password": person.password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['data']['access_token']}"}


def _exercise(operation, headers: dict, ids: dict) -> str | None:
    """Run the operation's generated examples; the failure report, or None."""
    fixed = {}
    query = FIXED_QUERY.get((operation.method.upper(), operation.path))
    if query:
        fixed["query"] = query
    if operation.method.upper() != "DELETE":  # real objects, so successes are checked too; deletes get random ids
        known = {n: ids[n][0] for n in re.findall(r"\{(\w+)\}", operation.path) if n in ids}
        if known:
            fixed["path_parameters"] = known

    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
              phases=[Phase.explicit, Phase.generate, Phase.shrink],
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(**fixed))
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - every failure is reported, none hidden
        return f"{operation.method.upper()} {operation.path}:\n{exc}"
    return None


def test_every_operation_keeps_its_contract(server_db_url):
    srv = make_server(server_db_url, login_failures_allowed=1_000_000)
    with srv.client:
        world = build_world(srv)  # S1: a student in a class with an assignment, a group, a connection, notifications
        student = world.people["S1"]
        schema = schemathesis.openapi.from_asgi("/openapi.json", srv.client.app)
        failures, count = [], 0
        for result in schema.get_all_operations():
            operation = result.ok()
            count += 1
            # A fresh device session per operation: logout or a password change in one does not starve the rest.
            failure = _exercise(operation, _login(srv, student), world.ids)
            if failure:
                failures.append(failure)
        assert count >= 20, f"only {count} operations found in the OpenAPI document"
        assert not failures, f"{len(failures)} of {count} operations broke their contract:\n\n" + "\n\n".join(failures)
    srv.client.app.state.db.dispose()
