"""/docs shows what every public API operation returns: each JSON success response, core's and every plugin's,
declares its shape with a model, not the empty schema FastAPI writes for a handler that returns a bare dict nor
the shapeless "object" of one annotated ``dict[str, Any]``."""

from __future__ import annotations

from typing import Any

from core.web.app import AppContext, create_app


def json_success_schemas(openapi: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {}).get("application/json")
                if status.startswith("2") and content is not None:
                    found.append((f"{method.upper()} {path} {status}", path, content.get("schema", {})))
    return found


def shaped(schema: dict[str, Any]) -> bool:
    """A model (a $ref to its schema), a list of them, or a choice of them (or null)."""
    if "$ref" in schema:
        return True
    if schema.get("type") == "array":
        return shaped(schema.get("items", {}))
    choices = schema.get("anyOf") or schema.get("oneOf")
    if choices:
        return all(shaped(choice) or choice.get("type") == "null" for choice in choices)
    return False


def test_every_json_answer_declares_its_shape(ctx: AppContext) -> None:
    answers = json_success_schemas(create_app(ctx).openapi())
    prefixes = {path.split("/")[5] for _, path, _ in answers if path.startswith("/api/v1/offices/{office}/")}
    # core's (users, devices, audit, speech) and every built-in plugin's
    assert {"users", "devices", "audit", "speech", "queue", "kiosk", "surveys", "notify", "appointments"} <= prefixes
    shapeless = [name for name, _, schema in answers if not shaped(schema)]
    assert not shapeless, f"operations without a response model: {shapeless}"


def test_shaped_tells_a_model_from_a_bare_dict() -> None:
    assert shaped({"$ref": "#/components/schemas/TicketOut"})
    assert shaped({"type": "array", "items": {"$ref": "#/components/schemas/TicketOut"}})
    assert shaped({"anyOf": [{"$ref": "#/components/schemas/A"}, {"type": "null"}]})
    assert not shaped({})
    assert not shaped({"type": "object", "additionalProperties": True})
    assert not shaped({"type": "array", "items": {"type": "object", "additionalProperties": True}})


def test_docs_show_the_models(ctx: AppContext) -> None:
    models = {"ReportOut", "ShownCell", "MessageSummary", "ResponseRecorded", "AppointmentOut", "ImportOut",
              "PublicTicketOut", "StaffTicketOut", "BoardOut", "LiveOut", "ArrivalOut", "KioskTicketOut",
              "OfficeDetailOut", "PersonOut", "DeviceOut", "AuditEntryOut"}
    assert models <= set(create_app(ctx).openapi()["components"]["schemas"])
