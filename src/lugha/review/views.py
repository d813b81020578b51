"""What the review app shows: Jinja2 pages and their response headers, apart from the store (data)
and the endpoints (app.py). Every function here is a pure function of its arguments.

Corpus and model text is escaped by Jinja2's autoescape and shown with dir="auto" inside an
isolating element, so bidi controls cannot reorder the page around it. A Content-Security-Policy
forbids every request to another origin, inline script included. Tokens live in the URL, so pages
send no Referer.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import jinja2
from starlette.responses import HTMLResponse, PlainTextResponse

from lugha import __version__
from lugha import report
from lugha.review.forms import Form

HERE = Path(__file__).resolve().parent
SHOW_CHARS = 20_000  # longer texts are cut for display (reviewers judge a sample; 1 MB lines stay fast)
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")

CSP_REVIEWER = ("default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; img-src 'self'; "
                "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
# Results pages embed matplotlib SVG, which styles with attributes: inline style only, never script.
CSP_ADMIN = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self'; "
             "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")

_env = report.environment(jinja2.FileSystemLoader(str(HERE / "templates")))


def headers(csp: str = CSP_REVIEWER) -> dict:
    return {"Content-Security-Policy": csp, "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
            "Cache-Control": "no-store"}


def html(template: str, status: int = 200, csp: str = CSP_REVIEWER, **ctx) -> HTMLResponse:
    body = _env.get_template(template).render(lugha_version=__version__, **ctx)
    return HTMLResponse(body, status_code=status, headers=headers(csp))


def text(message: str, status: int, csp: str = CSP_REVIEWER) -> PlainTextResponse:
    return PlainTextResponse(message, status, headers=headers(csp))


def not_found() -> HTMLResponse:
    return html("message.html", 404, title="Not found",
                message="This link is not valid. Ask the project owner for your personal link.")


def text_view(value: str | None) -> dict:
    value = value or ""
    shown = value[:SHOW_CHARS]
    return {"text": shown, "chars": len(value), "cut": len(value) > SHOW_CHARS,
            "bidi_controls": any(ch in BIDI_CONTROLS for ch in shown),
            "invisible": any(unicodedata.category(ch) == "Cf" and ch not in BIDI_CONTROLS for ch in shown)}


def review_page(reviewer: str, progress: dict, item, form: Form, token: str, csrf: str, swapped: bool = False,
                error: str = "", status: int = 200) -> HTMLResponse:
    """One item with its form. An A/B pair is shown as "Answer A" and "Answer B" in this reviewer's
    positions (``swapped``: the item's B answer is shown first, as A); a blinded form never puts
    the model, not even its opaque id, in the page."""
    sides = ()
    if form.shows == "pair":
        first, second = (item["text_b"], item["text"]) if swapped else (item["text"], item["text_b"])
        sides = (("A", text_view(first)), ("B", text_view(second)))
    return html("review.html", status=status, reviewer=reviewer, progress=progress, form=form, item=item,
                body=text_view(item["text"]), prompt=text_view(item["prompt"]), sides=sides, token=token,
                csrf=csrf, error=error, title="Review")


def done_page(reviewer: str, progress: dict) -> HTMLResponse:
    return html("done.html", reviewer=reviewer, progress=progress, title="All done")


def admin_page(token: str, reviewers: list[dict], counts: dict, csrf: str, key: list[dict] = (),
               new_link: str = "", new_name: str = "", error: str = "") -> HTMLResponse:
    from lugha.review.store import ROLES

    return html("admin.html", csp=CSP_ADMIN, title="lugha review: project", reviewers=reviewers,
                counts=counts, token=token, csrf=csrf, key=key, roles=ROLES, new_link=new_link,
                new_name=new_name, error=error)

