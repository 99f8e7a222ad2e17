"""The API's errors: each a JSON body ``{"error": code, "message": text}`` in English, for
programs to read."""

from __future__ import annotations

from flask import jsonify


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str, **headers: str) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.headers = status, error, message, headers


def error_response(status: int, error: str, message: str, headers: dict[str, str] | None = None):
    resp = jsonify({"error": error, "message": message})
    resp.status_code = status
    resp.headers.update(headers or {})
    return resp
