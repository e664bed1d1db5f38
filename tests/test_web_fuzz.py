"""Fuzz the explorer's API from its OpenAPI schema (schemathesis): no request may cause a 5xx."""

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from glassnet.interfaces.web.app import create_app

app = create_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", app)
SESSION = (
    TestClient(app).post("/api/sessions", json={"dataset": "moons", "hidden_layers": [4]}).json()["session"]
)


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_request_makes_the_server_fail(case):
    if case.path_parameters and "session_id" in case.path_parameters:
        case.path_parameters["session_id"] = SESSION  # unknown sessions (404) are tested in test_web_api
    response = case.call()
    assert response.status_code < 500, (case.method, case.path, case.body, response.text)
    case.validate_response(response, checks=[schemathesis.checks.not_a_server_error])
