"""The review web app: Starlette, server-rendered Jinja2 HTML, plain forms, one small local script.

Security model:
- Every reviewer has a secret link /r/TOKEN. The token picks the reviewer; nothing a reviewer can
  reach shows or changes another reviewer's answers (there is no item-id-based read or write path
  that is not checked against the reviewer's own assignments).
- The admin link /admin/TOKEN shows results and manages reviewers.
- Writes carry a CSRF token (HMAC of the project secret, the reviewer and the item) and must come
  from this server's own origin when the browser says where it came from.
- Corpus and model text is escaped by Jinja2's autoescape and shown with dir="auto" inside an
  isolating element, so bidi controls cannot reorder the page around it. A Content-Security-Policy
  forbids every request to another origin, inline script included.
- Tokens live in the URL, so pages send no Referer.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import threading
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from lugha import __version__
from lugha import report
from lugha.review import results as results_mod
from lugha.review import store
from lugha.review.forms import FORMS
from lugha.review.security import security_headers

HERE = Path(__file__).resolve().parent
SHOW_CHARS = 20_000  # longer texts are cut for display (reviewers judge a sample; 1 MB lines stay fast)
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")

CSP_REVIEWER = ("default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; img-src 'self'; "
                "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
# Results pages embed matplotlib SVG, which styles with attributes: inline style only, never script.
CSP_ADMIN = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; font-src 'self'; "
             "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")

_env = report.environment(jinja2.FileSystemLoader(str(HERE / "templates")))


def _headers(csp: str) -> dict:
    return {"Content-Security-Policy": csp, "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
            "Cache-Control": "no-store"}


def _html(template: str, status: int = 200, csp: str = CSP_REVIEWER, **ctx) -> HTMLResponse:
    body = _env.get_template(template).render(lugha_version=__version__, **ctx)
    return HTMLResponse(body, status_code=status, headers=_headers(csp))


def _not_found() -> HTMLResponse:
    return _html("message.html", 404, title="Not found",
                 message="This link is not valid. Ask the project owner for your personal link.")


def _csrf(secret: str, scope: str) -> str:
    return hmac.new(secret.encode(), scope.encode(), hashlib.sha256).hexdigest()


def _same_origin(request: Request) -> bool:
    """Refuse writes a browser says came from another site. Modern browsers send Sec-Fetch-Site;
    with our no-referrer policy Origin is "null" on form posts, so it is only checked when it names
    a real origin. Non-browser clients send neither and still need the CSRF token."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


def _text_view(text: str | None) -> dict:
    text = text or ""
    shown = text[:SHOW_CHARS]
    return {"text": shown, "chars": len(text), "cut": len(text) > SHOW_CHARS,
            "bidi_controls": any(ch in BIDI_CONTROLS for ch in shown),
            "invisible": any(unicodedata.category(ch) == "Cf" and ch not in BIDI_CONTROLS for ch in shown)}


def create_app(db_path: str | Path, synchronous: str = "NORMAL") -> Starlette:
    db_path = Path(db_path)
    # One connection, used from the event loop only: SQLite serialises writers anyway, and a single
    # writer never waits on a lock, which keeps latency flat under many concurrent reviewers.
    conn = store.open_project(db_path, synchronous)
    secret = store.meta(conn, "csrf_secret") or ""
    # WAL checkpoints (the only fsyncs in synchronous=NORMAL) run in a background thread, not in
    # the commit that happens to cross the threshold, so no reviewer's request waits on the disk.
    conn.execute("PRAGMA wal_autocheckpoint=0")
    stop_checkpoints = threading.Event()

    def checkpointer():
        c = store.connect(db_path, synchronous)
        try:
            while not stop_checkpoints.wait(1.0):
                c.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            c.close()

    checkpoint_thread = threading.Thread(target=checkpointer, name="wal-checkpoint", daemon=True)

    def reviewer_or_none(request: Request):
        return store.reviewer_for_token(conn, request.path_params["token"])

    async def home(request: Request):
        return _html("message.html", title="lugha review",
                     message="Open the personal link the project owner gave you.")

    async def review_page(request: Request, error: str = "", status: int = 200):
        rv = reviewer_or_none(request)
        if rv is None:
            return _not_found()
        item_id = store.current_item(conn, rv.id)
        prog = store.progress(conn, rv.id)
        if item_id is None:
            return _html("done.html", reviewer=rv.name, progress=prog, title="All done")
        item = store.get_item(conn, item_id)
        form = FORMS[item["kind"]]
        return _html("review.html", status=status, reviewer=rv.name, progress=prog, form=form, item=item,
                     body=_text_view(item["text"]), prompt=_text_view(item["prompt"]),
                     token=request.path_params["token"],
                     csrf=_csrf(secret, f"r:{rv.id}:{item_id}"), error=error, title="Review")

    async def review_submit(request: Request):
        rv = reviewer_or_none(request)
        if rv is None:
            return _not_found()
        form = await request.form(max_fields=50, max_part_size=64 * 1024)
        try:
            item_id = int(form.get("item_id", ""))
        except ValueError:
            return PlainTextResponse("bad item", 400, headers=_headers(CSP_REVIEWER))
        if not _same_origin(request) or not hmac.compare_digest(
                str(form.get("csrf", "")), _csrf(secret, f"r:{rv.id}:{item_id}")):
            return PlainTextResponse("CSRF check failed: reload the page", 403, headers=_headers(CSP_REVIEWER))
        try:
            rating = form.get("rating")
            store.save_label(conn, rv.id, item_id, str(form.get("label", "")),
                             rating=str(rating) if rating else None, flags=[str(f) for f in form.getlist("flag")],
                             comment=str(form.get("comment", "")))
        except store.NotYours:
            # Released after a long pause (`lugha review release`) or never this reviewer's: nothing
            # is written; show their current item instead.
            return await review_page(request, status=409,
                                     error="That item is no longer yours (it was released after a long pause); "
                                           "your answer was not saved. Here is your next item.")
        except ValueError as e:
            return await review_page(request, error=str(e), status=422)
        # The label is committed; only now is the next item shown (post/redirect/get).
        return RedirectResponse(f"/r/{request.path_params['token']}", status_code=303,
                                headers=_headers(CSP_REVIEWER))

    async def review_image(request: Request):
        rv = reviewer_or_none(request)
        if rv is None:
            return _not_found()
        item_id = request.path_params["item_id"]
        row = conn.execute("SELECT i.image, i.image_type FROM items i JOIN assignments a ON a.item_id=i.id "
                           "WHERE i.id=? AND a.reviewer_id=? AND i.image IS NOT NULL",
                           (item_id, rv.id)).fetchone()
        if row is None:
            return _not_found()
        return Response(row["image"], media_type=row["image_type"], headers=_headers(CSP_REVIEWER))

    def admin_ok(request: Request) -> bool:
        return store.is_admin(conn, request.path_params["token"])

    async def admin_page(request: Request, new_link: str = "", new_name: str = "", error: str = ""):
        if not admin_ok(request):
            return _not_found()
        return _html("admin.html", csp=CSP_ADMIN, title="lugha review: project", reviewers=store.reviewers(conn),
                     counts=store.counts(conn), token=request.path_params["token"],
                     csrf=_csrf(secret, "admin"), new_link=new_link, new_name=new_name, error=error)

    async def admin_add_reviewer(request: Request):
        if not admin_ok(request):
            return _not_found()
        form = await request.form(max_fields=10)
        if not _same_origin(request) or not hmac.compare_digest(str(form.get("csrf", "")),
                                                                _csrf(secret, "admin")):
            return PlainTextResponse("CSRF check failed: reload the page", 403, headers=_headers(CSP_ADMIN))
        from lugha.errors import LughaError

        name = str(form.get("name", "")).strip()
        try:
            tok = store.add_reviewer(conn, name)
        except LughaError as e:
            return await admin_page(request, error=e.message)
        base = f"{request.url.scheme}://{request.headers.get('host', '')}"
        return await admin_page(request, new_link=f"{base}/r/{tok}", new_name=name)

    async def admin_results(request: Request):
        if not admin_ok(request):
            return _not_found()
        res = results_mod.compute(conn)
        html = render_results_page(res)
        return HTMLResponse(html, headers=_headers(CSP_ADMIN))

    async def admin_results_json(request: Request):
        if not admin_ok(request):
            return _not_found()
        return Response(report.to_json(results_mod.compute(conn)), media_type="application/json",
                        headers=_headers(CSP_ADMIN))

    async def admin_export_csv(request: Request):
        if not admin_ok(request):
            return _not_found()
        import io

        import pyarrow as pa
        import pyarrow.csv as pcsv

        rows = results_mod.csv_safe(results_mod.export_rows(conn))
        buf = io.BytesIO()
        if rows:
            pcsv.write_csv(pa.Table.from_pylist(rows), buf)
        return Response(buf.getvalue(), media_type="text/csv",
                        headers={**_headers(CSP_ADMIN),
                                 "Content-Disposition": 'attachment; filename="labels.csv"'})

    async def favicon(request: Request):
        return Response(status_code=204, headers=_headers(CSP_REVIEWER))

    routes = [
        Route("/", home),
        Route("/favicon.ico", favicon),
        Route("/r/{token}", review_page, methods=["GET"]),
        Route("/r/{token}", review_submit, methods=["POST"]),
        Route("/r/{token}/image/{item_id:int}", review_image),
        Route("/admin/{token}", admin_page, methods=["GET"]),
        Route("/admin/{token}/reviewers", admin_add_reviewer, methods=["POST"]),
        Route("/admin/{token}/results", admin_results),
        Route("/admin/{token}/results.json", admin_results_json),
        Route("/admin/{token}/labels.csv", admin_export_csv),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(app):
        checkpoint_thread.start()
        yield
        stop_checkpoints.set()
        checkpoint_thread.join(30)
        conn.close()

    app = Starlette(routes=routes, lifespan=lifespan, middleware=[security_headers(CSP_REVIEWER)])
    app.state.db = conn
    return app


def render_results_page(res: dict) -> str:
    """A complete self-contained results page (also written by `lugha review results --html`)."""
    charts = {}
    for kind, k in res["kinds"].items():
        strata = list(k["shares"]["strata"])
        if strata:
            shares = {v: [k["shares"]["strata"][h]["labels"][v]["share"] or 0.0 for h in strata]
                      for v in k["values"]}
            charts[kind] = report.stacked_share_chart(strata, shares, title=k["question"])
    body = _env.get_template("results_body.html").render(res=res, charts=charts, forms=FORMS,
                                                         lugha_version=__version__)
    return report.page("Human review results", Markup(body), res["signature"],
                       subtitle=f"{res['counts']['labels']} labels on {res['counts']['items']} items "
                                f"from {res['counts']['reviewers']} reviewers")
