"""Fuzz the explorer's API: from its OpenAPI schema (schemathesis), and field by field through every JSON
type. No request may cause a 5xx."""

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from glassnet.web import requests
from glassnet.web.app import create_app

app = create_app(["testserver"])  # the host name of Starlette's test client
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


# ------------------------------------------------------------------ structural fuzz of the request bodies
# Every field of every request body, one at a time: replaced by a value of each JSON type, removed, and an
# unknown field added. A wrong type or value gets a 4xx whose message names the field; the server never
# answers 5xx. Every field has a default, so removing one is accepted; ACCEPTED lists the replacements that
# are valid values of their field (the models are strict: true is not a number, 1 is not true).
JSON_VALUES = {
    "null": None,
    "bool": True,
    "int": 3,
    "float": 0.5,
    "huge int": 10**40,
    "string": "text",
    "list": [1, 2],
    "nested list": [[1], [2]],
    "object": {"a": 1},
}
BODIES = {  # each endpoint that takes a body: its model and a valid body that sets every field
    "/api/sessions": (
        requests.Settings,
        {
            "dataset": "xor",
            "hidden_layers": [3],
            "activation": "tanh",
            "loss": "mse",
            "learning_rate": 0.1,
            "seed": 1,
            "bias": "per_neuron",
            "csv": None,
            "target": None,
            "noise": 0.2,
            "test_ratio": 0.25,
            "batch_size": 2,
            "l2": 0.001,
            "data_seed": 3,
        },
    ),
    "/api/sessions/{id}/train": (
        requests.TrainRequest,
        {"steps": 7, "until_converged": False, "loss_tol": 0.01, "max_ms": 500},
    ),
    "/api/sessions/{id}/training": (
        requests.TrainingChange,
        {"learning_rate": 0.3, "batch_size": 1, "l2": 0.0},
    ),
    "/api/sessions/{id}/parameters": (requests.ParameterEdit, {"name": "w1", "value": 0.25}),
}
METHOD = {"/api/sessions/{id}/training": "PATCH"}
REQUIRED = {"name", "value"}  # the fields without a default
ACCEPTED = {
    ("hidden_layers", "list"),
    ("learning_rate", "int"),
    ("learning_rate", "float"),
    ("seed", "int"),
    ("csv", "null"),
    ("csv", "string"),
    ("target", "null"),
    ("target", "string"),
    ("steps", "int"),
    ("until_converged", "bool"),
    ("loss_tol", "int"),
    ("loss_tol", "float"),
    ("noise", "int"),  # 3 > 0.5: refused by its bound, not its type
    ("noise", "float"),
    ("test_ratio", "float"),
    ("batch_size", "int"),
    ("l2", "float"),
    ("data_seed", "int"),
    ("max_ms", "null"),
    ("max_ms", "int"),
    ("learning_rate", "null"),  # not changed
    ("batch_size", "null"),
    ("l2", "null"),
    ("value", "int"),
    ("value", "float"),
}
OUT_OF_RANGE = {("noise", "int"), ("test_ratio", "int"), ("l2", "int")}


def _cases():
    for path, (model, body) in BODIES.items():
        assert set(body) == set(model.model_fields), "the valid body must set every field of its model"
        for name in body:
            for kind, value in JSON_VALUES.items():
                accepted = (name, kind) in ACCEPTED and (name, kind) not in OUT_OF_RANGE
                if (
                    kind == "null"
                    and name in requests.TrainingChange.model_fields
                    and model is not requests.TrainingChange
                ):
                    accepted = False  # "no change" is a TrainingChange's; a Settings needs a value
                yield pytest.param(path, {**body, name: value}, name, accepted, id=f"{path}:{name}={kind}")
            yield pytest.param(
                path,
                {k: v for k, v in body.items() if k != name},
                name,
                name not in REQUIRED,
                id=f"{path}:-{name}",
            )
        yield pytest.param(path, {**body, "surprise": 1}, "surprise", False, id=f"{path}:+surprise")


@pytest.fixture(scope="module")
def structural_client():
    return TestClient(create_app(["testserver"]))


@pytest.mark.parametrize("path, body, field, accepted", list(_cases()))
def test_each_field_of_each_body_with_each_json_type(structural_client, path, body, field, accepted):
    template = path
    if "{id}" in path:
        session = structural_client.post("/api/sessions", json={}).json()["session"]
        path = path.replace("{id}", session)
    response = structural_client.request(METHOD.get(template, "POST"), path, json=body)
    assert response.status_code < 500, response.text
    if accepted:
        assert response.status_code in (200, 201), response.text
    else:
        detail = response.json()["detail"]
        assert 400 <= response.status_code < 500 and requests.LABELS.get(field, field) in detail, (
            response.text
        )


@pytest.mark.parametrize("path", BODIES)
@pytest.mark.parametrize("body", JSON_VALUES.values(), ids=JSON_VALUES)
def test_a_body_that_is_not_an_object_is_refused(structural_client, path, body):
    template = path
    if "{id}" in path:
        path = path.replace("{id}", structural_client.post("/api/sessions", json={}).json()["session"])
    response = structural_client.request(METHOD.get(template, "POST"), path, json=body)
    expected = "is not a setting the explorer knows" if isinstance(body, dict) else "the request body"
    assert response.status_code == 422 and expected in response.json()["detail"], response.text
