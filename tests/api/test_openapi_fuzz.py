"""Schemathesis against /openapi.json as a logged-in operator: no 5xx, no response that contradicts the schema."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

MAX_EXAMPLES = 12


@pytest.fixture(scope="module")
def operator_token(web_server: str) -> str:
    response = httpx.post(
        f"{web_server}/api/auth/login", json={"username": "operator", "password": "demo12345", "kind": "api"}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


@pytest.fixture(scope="module")
def api_schema(web_server: str, module_city: None) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{web_server}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_honours_its_schema(case: schemathesis.Case, operator_token: str) -> None:
    if case.path == "/api/auth/logout":
        return  # it would end the token the rest of the run uses
    case.call_and_validate(headers={"Authorization": f"Bearer {operator_token}"})
