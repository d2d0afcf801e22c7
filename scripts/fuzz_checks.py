"""Checks `npm run fuzz` adds to schemathesis (loaded through SCHEMATHESIS_HOOKS=fuzz_checks).

problem_document: every 4xx/5xx answer is an RFC 9457 problem document (type, title, status equal to
the HTTP status, detail), served as application/problem+json or application/json.

content_type_either: schemathesis's content_type_conformance, except that for error answers
application/json and application/problem+json count as the same documented media type, so the check
holds whether the spec documents errors as one or the other (or both).
"""
import json

import schemathesis

ERROR_MEDIA_TYPES = {"application/json", "application/problem+json"}


def _media_type(response):
    values = response.headers.get("content-type") or response.headers.get("Content-Type") or []
    value = values[0] if isinstance(values, list) and values else values
    return str(value or "").split(";")[0].strip().lower()


@schemathesis.check
def problem_document(ctx, response, case):
    if response.status_code < 400:
        return None
    media_type = _media_type(response)
    assert media_type in ERROR_MEDIA_TYPES, f"error {response.status_code} served as {media_type or 'nothing'}, not a problem document"
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        raise AssertionError(f"error {response.status_code} body is not JSON")
    assert isinstance(body, dict), "a problem document is an object"
    for field in ("type", "title", "detail"):
        assert isinstance(body.get(field), str), f"problem document without a string {field!r}"
    assert body.get("status") == response.status_code, f"problem status {body.get('status')!r} differs from HTTP {response.status_code}"
    return None


@schemathesis.check
def content_type_either(ctx, response, case):
    documented = case.operation.schema.get_content_types(case.operation, response)
    if not documented:
        return None
    received = _media_type(response)
    assert received, f"no Content-Type; documented: {', '.join(documented)}"
    allowed = {d.split(";")[0].strip().lower() for d in documented}
    if response.status_code >= 400 and allowed & ERROR_MEDIA_TYPES:
        allowed |= ERROR_MEDIA_TYPES
    assert received in allowed, f"Content-Type {received} is not documented for {response.status_code} (documented: {', '.join(sorted(allowed))})"
    return None
