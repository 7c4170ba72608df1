"""Errors from talking to a Label Studio server. All are KmnerErrors, so the CLI
prints them as one line and exits non-zero."""

from __future__ import annotations

from kmner.core.errors import KmnerError


class LabelStudioError(KmnerError):
    """Something went wrong between kmner and a Label Studio server."""


class ServerUnavailable(LabelStudioError):
    """The server cannot be reached (down, wrong URL or port)."""


class AuthenticationFailed(LabelStudioError):
    """The server rejected the API key."""


class ProjectNotFound(LabelStudioError):
    """No project with the given id or title."""
