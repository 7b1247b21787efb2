"""The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


REF = "#/components/schemas/"
DECISIONS = ["adopted", "adapted", "not_adopted", "out_of_scope", "deferred"]
PHASE_ID = {"name": "phase_id", "in": "path", "required": True, "schema": {"type": "integer"}}
AUTH = [{"participantToken": []}]
COMMON_ERRORS = {"404": _error("Unknown phase or statement")}
AUTH_ERRORS = {"401": _error("Missing or unknown participant token"), **COMMON_ERRORS}
BODY_ERRORS = {
    "400": _error("Malformed request (not JSON, wrong types)"),
    "403": _error("The consultation takes input from invited participants only"),
    "409": _error("The phase is not open for input"),
    "413": _error("Request body too large"),
    "422": _error("Invalid value"),
    "429": _error("Too many requests in a short time; see the Retry-After header"),
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Consult API",
            "version": "1.0.0",
            "description": (
                "Take part in a consultation from a script or an embed: create a participant, "
                "fetch the next statement of a phase, vote agree / disagree / pass, add statements."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "paths": {
            "/participants": {
                "post": {
                    "summary": "Create an anonymous participant and get its token",
                    "requestBody": {
                        "required": False,
                        "content": {
                            "application/json": {"schema": {"$ref": REF + "NewParticipant"}}
                        },
                    },
                    "responses": {
                        "201": _json(
                            "The participant token (keep it secret)", {"$ref": REF + "Token"}
                        ),
                        "400": _error("Malformed request"),
                        "403": _error("xid_signature missing or wrong (CONSULT_XID_SECRET is set)"),
                        "413": _error("Request body too large"),
                        "422": _error("Invalid xid"),
                        "429": _error("Too many new participants from this address"),
                    },
                }
            },
            "/consultations": {
                "get": {
                    "summary": "Consultations open to the public, with their phases",
                    "responses": {
                        "200": _json(
                            "Consultations",
                            {"type": "array", "items": {"$ref": REF + "Consultation"}},
                        )
                    },
                }
            },
            "/phases/{phase_id}": {
                "get": {
                    "summary": "One phase",
                    "parameters": [PHASE_ID],
                    "responses": {
                        "200": _json("The phase", {"$ref": REF + "Phase"}),
                        **COMMON_ERRORS,
                    },
                }
            },
            "/phases/{phase_id}/next-statement": {
                "get": {
                    "summary": "The next statement for this participant to vote on",
                    "parameters": [PHASE_ID],
                    "security": AUTH,
                    "responses": {
                        "200": _json("A statement", {"$ref": REF + "NextStatement"}),
                        "204": {"description": "The participant has voted on every statement"},
                        "409": _error("The phase is not open for input"),
                        **AUTH_ERRORS,
                    },
                }
            },
            "/phases/{phase_id}/votes": {
                "post": {
                    "summary": "Vote on a statement; a new vote replaces the previous one",
                    "parameters": [PHASE_ID],
                    "security": AUTH,
                    "requestBody": _body({"$ref": REF + "NewVote"}),
                    "responses": {
                        "200": _json("The vote as stored", {"$ref": REF + "VoteResult"}),
                        **AUTH_ERRORS,
                        **BODY_ERRORS,
                    },
                }
            },
            "/phases/{phase_id}/statements": {
                "post": {
                    "summary": "Add a statement (10 to 280 characters); it awaits moderation",
                    "parameters": [PHASE_ID],
                    "security": AUTH,
                    "requestBody": _body({"$ref": REF + "NewStatement"}),
                    "responses": {
                        "201": _json("The new statement", {"$ref": REF + "StatementCreated"}),
                        **AUTH_ERRORS,
                        **BODY_ERRORS,
                    },
                }
            },
            "/statements/{statement_id}/disposition": {
                "get": {
                    "summary": "What became of a statement: its theme and the published decision",
                    "description": (
                        "From the latest published report of the statement's phase. Before a "
                        "report is published, status is 'pending', decision is null and theme "
                        "is the current one."
                    ),
                    "parameters": [
                        {
                            "name": "statement_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        }
                    ],
                    "responses": {
                        "200": _json("The disposition", {"$ref": REF + "Disposition"}),
                        "404": _error("Unknown, unpublished or rejected statement"),
                    },
                }
            },
            "/me/input": {
                "get": {
                    "summary": "Each statement this participant wrote or voted on, and its fate",
                    "security": AUTH,
                    "responses": {
                        "200": _json("The participant's input", {"$ref": REF + "MyInput"}),
                        "401": _error("Missing or unknown participant token"),
                    },
                }
            },
            "/me/data": {
                "get": {
                    "summary": "Everything stored about this participant (their data, as JSON)",
                    "security": AUTH,
                    "responses": {
                        "200": _json("The participant's data", {"$ref": REF + "MyData"}),
                        "401": _error("Missing or unknown participant token"),
                    },
                }
            },
            "/me": {
                "delete": {
                    "summary": "Delete this participant's data; the token stops working",
                    "description": (
                        "Votes (current and history) are deleted, so no later analysis counts "
                        "them. Statements not accepted by moderators are deleted; accepted ones "
                        "stay as anonymous public input. Published reports keep their figures."
                    ),
                    "security": AUTH,
                    "responses": {
                        "200": _json("What was deleted", {"$ref": REF + "Deletion"}),
                        "401": _error("Missing or unknown participant token"),
                    },
                }
            },
        },
        "components": {
            "securitySchemes": {
                "participantToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The token returned by POST /participants",
                }
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}, "detail": {}},
                },
                "NewParticipant": {
                    "type": "object",
                    "properties": {
                        "xid": {"type": "string", "minLength": 1, "maxLength": 255},
                        "xid_signature": {
                            "type": "string",
                            "description": "hex HMAC-SHA256 of the xid with the site's secret",
                        },
                    },
                },
                "MyData": {
                    "type": "object",
                    "required": ["participant", "statements", "votes", "vote_history"],
                    "properties": {
                        "about": {"type": "string"},
                        "not_stored": {"type": "string"},
                        "participant": {
                            "type": "object",
                            "properties": {
                                "created_at": {"type": ["string", "null"]},
                                "xid": {"type": ["string", "null"]},
                                "invited_to_consultations": {
                                    "type": "array",
                                    "items": {"type": "integer"},
                                },
                            },
                        },
                        "statements": {"type": "array", "items": {"type": "object"}},
                        "votes": {"type": "array", "items": {"type": "object"}},
                        "vote_history": {"type": "array", "items": {"type": "object"}},
                        "votes_left_out_of_the_analysis": {
                            "type": "array",
                            "items": {"type": "object"},
                        },
                    },
                },
                "Deletion": {
                    "type": "object",
                    "required": [
                        "votes_deleted",
                        "statements_deleted",
                        "statements_kept_anonymous",
                    ],
                    "properties": {
                        "votes_deleted": {"type": "integer"},
                        "statements_deleted": {"type": "integer"},
                        "statements_kept_anonymous": {"type": "integer"},
                    },
                },
                "Token": {
                    "type": "object",
                    "required": ["token"],
                    "properties": {"token": {"type": "string"}},
                },
                "PhaseSummary": {
                    "type": "object",
                    "required": ["id", "position", "title", "state"],
                    "properties": {
                        "id": {"type": "integer"},
                        "position": {"type": "integer"},
                        "title": {"type": "string"},
                        "state": {"type": "string", "enum": ["open", "closed", "published"]},
                    },
                },
                "Consultation": {
                    "type": "object",
                    "required": ["slug", "title", "phases"],
                    "properties": {
                        "slug": {"type": "string"},
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "languages": {"type": "array", "items": {"type": "string"}},
                        "phases": {"type": "array", "items": {"$ref": REF + "PhaseSummary"}},
                    },
                },
                "Phase": {
                    "allOf": [
                        {"$ref": REF + "PhaseSummary"},
                        {
                            "type": "object",
                            "required": ["consultation", "accepts_input"],
                            "properties": {
                                "purpose": {"type": "string"},
                                "consultation": {
                                    "type": "object",
                                    "properties": {
                                        "slug": {"type": "string"},
                                        "title": {"type": "string"},
                                    },
                                },
                                "opens_at": {"type": ["string", "null"], "format": "date-time"},
                                "closes_at": {"type": ["string", "null"], "format": "date-time"},
                                "accepts_input": {"type": "boolean"},
                                "strict_moderation": {"type": "boolean"},
                            },
                        },
                    ]
                },
                "Statement": {
                    "type": "object",
                    "required": ["id", "text"],
                    "properties": {
                        "id": {"type": "integer"},
                        "text": {"type": "string"},
                        "language": {"type": ["string", "null"]},
                        "origin": {"type": "string", "enum": ["online", "seed", "imported"]},
                        "moderation": {
                            "type": "string",
                            "enum": ["pending", "accepted", "rejected"],
                        },
                    },
                },
                "NextStatement": {
                    "type": "object",
                    "required": ["statement"],
                    "properties": {
                        "statement": {"$ref": REF + "Statement"},
                        "progress": {
                            "type": "object",
                            "properties": {
                                "voted": {"type": "integer"},
                                "total": {"type": "integer"},
                            },
                        },
                    },
                },
                "NewVote": {
                    "type": "object",
                    "required": ["statement_id", "vote"],
                    "properties": {
                        "statement_id": {"type": "integer"},
                        "vote": {"type": "string", "enum": ["agree", "disagree", "pass"]},
                    },
                },
                "VoteResult": {
                    "type": "object",
                    "required": ["statement_id", "vote"],
                    "properties": {
                        "statement_id": {"type": "integer"},
                        "vote": {"type": "string", "enum": ["agree", "disagree", "pass"]},
                    },
                },
                "NewStatement": {
                    "type": "object",
                    "required": ["text"],
                    "properties": {"text": {"type": "string", "minLength": 10, "maxLength": 280}},
                },
                "Disposition": {
                    "type": "object",
                    "required": ["statement_id", "status", "theme", "decision", "report"],
                    "properties": {
                        "statement_id": {"type": "integer"},
                        "text": {"type": "string"},
                        "consultation": {"type": "string"},
                        "phase": {"$ref": REF + "PhaseRef"},
                        "status": {"type": "string", "enum": ["pending", "published"]},
                        "theme": {"oneOf": [{"$ref": REF + "ThemeRef"}, {"type": "null"}]},
                        "decision": {"type": ["string", "null"], "enum": DECISIONS + [None]},
                        "decision_label": {"type": ["string", "null"]},
                        "rationale": {"type": ["string", "null"]},
                        "responded": {
                            "type": ["string", "null"],
                            "enum": ["theme", "statement", None],
                        },
                        "strategy_sections": {
                            "type": "array",
                            "items": {"$ref": REF + "SectionRef"},
                        },
                        "report": {
                            "oneOf": [
                                {
                                    "type": "object",
                                    "properties": {
                                        "version": {"type": "integer"},
                                        "published_at": {"type": "string", "format": "date-time"},
                                        "body_hash": {"type": "string"},
                                        "record_hash": {"type": "string"},
                                    },
                                },
                                {"type": "null"},
                            ]
                        },
                    },
                },
                "PhaseRef": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "position": {"type": "integer"},
                        "title": {"type": "string"},
                    },
                },
                "ThemeRef": {
                    "type": "object",
                    "properties": {"id": {"type": "string"}, "label": {"type": "string"}},
                },
                "SectionRef": {
                    "type": "object",
                    "properties": {"key": {"type": "string"}, "title": {"type": "string"}},
                },
                "MyInput": {
                    "type": "object",
                    "required": ["items"],
                    "properties": {
                        "items": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "statement_id": {"type": "integer"},
                                    "text": {"type": "string"},
                                    "phase_id": {"type": "integer"},
                                    "moderation": {"type": "string"},
                                    "wrote": {"type": "boolean"},
                                    "vote": {
                                        "type": ["string", "null"],
                                        "enum": ["agree", "disagree", "pass", None],
                                    },
                                    "theme": {
                                        "oneOf": [{"$ref": REF + "ThemeRef"}, {"type": "null"}]
                                    },
                                    "decision": {"type": ["string", "null"]},
                                    "rationale": {"type": ["string", "null"]},
                                    "responded": {"type": ["string", "null"]},
                                    "strategy_sections": {
                                        "type": "array",
                                        "items": {"$ref": REF + "SectionRef"},
                                    },
                                    "report_version": {"type": ["integer", "null"]},
                                },
                            },
                        }
                    },
                },
                "StatementCreated": {
                    "type": "object",
                    "required": ["statement"],
                    "properties": {"statement": {"$ref": REF + "Statement"}},
                },
            },
        },
    }
