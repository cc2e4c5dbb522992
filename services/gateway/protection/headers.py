"""Security headers on every answer, and a limit on the size of request headers."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors import problem_response

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"cache-control", b"no-store"),
]
# An API answer runs nothing; a page (the API explorer) runs its own scripts and styles only.
API_POLICY = b"default-src 'none'; frame-ancestors 'none'"
PAGE_POLICY = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https:; "
    b"frame-ancestors 'none'"
)
_SET = {name for name, _ in SECURITY_HEADERS} | {b"content-security-policy"}
_DROPPED = {b"server", b"x-powered-by"}


class ProtectionMiddleware:
    """Refuses oversized headers (431) and sets security headers, hiding upstream server names."""

    def __init__(self, app: ASGIApp, *, max_header_bytes: int) -> None:
        self.app = app
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        size = sum(len(k) + len(v) for k, v in scope["headers"]) + len(scope.get("raw_path", b""))
        if size > self.max_header_bytes:
            response = problem_response(
                status=431,
                code="headers-too-large",
                detail=f"The request headers are larger than {self.max_header_bytes} bytes.",
            )
            await response(scope, receive, self._secured(send))
            return
        await self.app(scope, receive, self._secured(send))

    @staticmethod
    def _secured(send: Send) -> Send:
        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                given = message.get("headers", [])
                headers = [(k, v) for k, v in given if k.lower() not in _SET | _DROPPED]
                is_page = any(
                    k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in given
                )
                policy = (b"content-security-policy", PAGE_POLICY if is_page else API_POLICY)
                message = {**message, "headers": [*headers, *SECURITY_HEADERS, policy]}
            await send(message)

        return send_secured
