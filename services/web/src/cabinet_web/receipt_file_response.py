"""A receipt's file, served from our own origin: a file someone uploaded, so it must never
run anything here. It gets a CSP of its own that loads and runs nothing (only our own
pages may frame it), is never sniffed as another type, and is never cached."""

from fastapi import Response

# Only our own pages may frame it, and it runs nothing.
FILE_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'self'; base-uri 'none'"


def receipt_file_response(content: bytes, media_type: str, content_disposition: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={
            "content-disposition": content_disposition,
            "x-content-type-options": "nosniff",
            "content-security-policy": FILE_CONTENT_SECURITY_POLICY,
            "x-frame-options": "SAMEORIGIN",
            "cache-control": "no-store",
        },
    )
