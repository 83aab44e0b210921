"""The OpenAPI 3.1 document of the operator API (kept beside the views it describes)."""

from __future__ import annotations

from typing import Any

from hts.operations.runs import EVENT_KINDS

_ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}},
        "reasons": {"type": "array", "items": {"type": "string"}},
    },
}
_NULLABLE_STRING = {"type": ["string", "null"]}
_RUN = {
    "type": "object",
    "required": ["id", "route_code", "date", "session", "school", "status", "due_at_school",
                 "pupils_expected", "pupils_absent", "pupils_transported"],
    "properties": {
        "id": {"type": "integer"},
        "route_code": {"type": "string"},
        "date": {"type": "string", "format": "date"},
        "session": {"type": "string", "enum": ["am", "pm"]},
        "school": {"type": "object", "properties": {"urn": {"type": "string"}, "name": {"type": "string"}}},
        "status": {"type": "string", "enum": ["scheduled", "under_way", "arrived", "completed", "cancelled",
                                              "not_required"]},
        "reason": _NULLABLE_STRING,
        "due_at_school": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
        "arrived_at_school": _NULLABLE_STRING,
        "vehicle": _NULLABLE_STRING,
        "driver": _NULLABLE_STRING,
        "passenger_assistant": _NULLABLE_STRING,
        "pupils_expected": {"type": "integer", "minimum": 0},
        "pupils_absent": {"type": "integer", "minimum": 0},
        "pupils_transported": {"type": "integer", "minimum": 0},
    },
}
_STOP = {
    "type": "object",
    "required": ["sequence", "kind", "time", "latitude", "longitude", "pupils"],
    "properties": {
        "sequence": {"type": "integer"},
        "kind": {"type": "string", "enum": ["pickup", "school", "dropoff"]},
        "time": {"type": "string"},
        "latitude": {"type": "number"},
        "longitude": {"type": "number"},
        "address": _NULLABLE_STRING,
        "pupils": {"type": "array", "items": {
            "type": "object",
            "properties": {
                "pupil_ref": {"type": "string"}, "first_name": {"type": "string"},
                "wheelchair": {"type": "boolean"}, "passenger_assistant": {"type": "boolean"},
                "solo": {"type": "boolean"}, "status": {"type": "string"},
            },
        }},
    },
}


def _errors(*codes: int) -> dict[str, Any]:
    text = {400: "Bad input, with a message per field", 401: "No valid token",
            404: "Not found for your operator", 409: "Refused as things stand, with the reasons"}
    return {str(c): {"description": text[c], "content": {"application/json": {"schema": _ERROR}}} for c in codes}


def _ok(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    run_id = {"name": "run_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "hts operator API",
            "version": "1.0",
            "description": "For transport operators: the day's runs, run sheets, run events, and assigning "
                           "crew and vehicles through the council's compliance gate. Each token acts for one "
                           "operator and sees only that operator's runs and routes.",
        },
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"operatorToken": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": _ERROR, "Run": _RUN, "Stop": _STOP},
        },
        "security": [{"operatorToken": []}],
        "paths": {
            "/api/runs": {"get": {
                "operationId": "listRuns",
                "summary": "The operator's runs on a day",
                "parameters": [{"name": "date", "in": "query", "required": False,
                                "schema": {"type": "string", "format": "date"}}],
                "responses": {
                    "200": _ok("Runs", {"type": "object", "required": ["date", "runs"], "properties": {
                        "date": {"type": "string", "format": "date"},
                        "runs": {"type": "array", "items": _RUN}}}),
                    **_errors(400, 401),
                },
            }},
            "/api/runs/{run_id}": {"get": {
                "operationId": "getRunSheet",
                "summary": "A run sheet: stops in order, times, pupils and their needs",
                "description": "JSON by default. `format=pdf` gives the printable A4 run sheet and `format=csv` "
                               "its stops and pupils (one row per pupil; cells a spreadsheet would run as a "
                               "formula start with a quote); without `format`, an Accept header of "
                               "application/pdf or text/csv chooses the same.",
                "parameters": [run_id, {"name": "format", "in": "query", "required": False,
                                        "schema": {"type": "string", "enum": ["json", "pdf", "csv"],
                                                   "default": "json"}}],
                "responses": {
                    "200": {"description": "The run sheet", "content": {
                        "application/json": {"schema": {"allOf": [_RUN, {
                            "type": "object", "required": ["stops"],
                            "properties": {"stops": {"type": "array", "items": _STOP}}}]}},
                        "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                        "text/csv": {"schema": {"type": "string"}},
                    }},
                    **_errors(400, 401, 404),
                },
            }},
            "/api/runs/{run_id}/events": {"post": {
                "operationId": "postRunEvent",
                "summary": "Report an event on a run; a retried post with the same key counts once",
                "parameters": [run_id, {"name": "Idempotency-Key", "in": "header", "required": True,
                                        "schema": {"type": "string", "minLength": 1, "maxLength": 200}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["kind"],
                    "properties": {
                        "kind": {"type": "string", "enum": list(EVENT_KINDS)},
                        "occurred_at": {"type": "string", "format": "date-time"},
                        "pupil_ref": {"type": "string"},
                        "reason": {"type": "string", "maxLength": 300},
                    },
                }}}},
                "responses": {
                    "201": _ok("Recorded", {"type": "object", "properties": {
                        "event_id": {"type": "integer"}, "kind": {"type": "string"},
                        "replayed": {"type": "boolean"}, "run": _RUN}}),
                    "200": _ok("Already recorded under this key", {"type": "object", "properties": {
                        "event_id": {"type": "integer"}, "replayed": {"type": "boolean"}}}),
                    **_errors(400, 401, 404, 409),
                },
            }},
            "/api/routes/{route_code}/assignment": {"post": {
                "operationId": "assignCrew",
                "summary": "Assign your own driver, passenger assistant or vehicle to one of your routes",
                "parameters": [{"name": "route_code", "in": "path", "required": True, "schema": {"type": "string"}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {"driver_ref": {"type": "string"}, "pa_ref": {"type": "string"},
                                   "registration": {"type": "string"}},
                }}}},
                "responses": {
                    "200": _ok("Assigned", {"type": "object", "properties": {
                        "route_code": {"type": "string"}, "version": {"type": "integer"},
                        "driver": _NULLABLE_STRING, "passenger_assistant": _NULLABLE_STRING,
                        "vehicle": _NULLABLE_STRING}}),
                    **_errors(400, 401, 404, 409),
                },
            }},
            "/api/openapi.json": {"get": {
                "operationId": "getOpenApi", "summary": "This document", "security": [],
                "responses": {"200": {"description": "The OpenAPI document"}},
            }},
        },
    }
