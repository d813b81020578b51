"""The review web app: Starlette endpoints over the store, pages from views.py, one small local script.

Security model:
- Every reviewer has a secret link /r/TOKEN. The token picks the reviewer; nothing a reviewer can
  reach shows or changes another reviewer's answers (there is no item-id-based read or write path
  that is not checked against the reviewer's own assignments).
- The admin link /admin/TOKEN shows results and manages reviewers.
- Writes carry a CSRF token (HMAC of the project secret, the reviewer and the item) and must come
  from this server's own origin when the browser says where it came from.
- Escaping, direction isolation, the Content-Security-Policy and no-Referer: see views.py.

The endpoints are module-level functions; the state they share (one SQLite connection, the CSRF
secret) lives on ``request.app.state``, set up by ``create_app``.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import threading
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from lugha import report
from lugha.errors import LughaError
from lugha.review import results as results_mod
from lugha.review import store, views
from lugha.review.security import security_headers
from lugha.review.views import CSP_ADMIN, CSP_REVIEWER  # noqa: F401 (re-export)

HERE = Path(__file__).resolve().parent


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


def _conn(request: Request):
    return request.app.state.db


def _secret(request: Request) -> str:
    return request.app.state.csrf_secret


def _reviewer(request: Request) -> store.Reviewer | None:
    return store.reviewer_for_token(_conn(request), request.path_params["token"])


def _admin_ok(request: Request) -> bool:
    return store.is_admin(_conn(request), request.path_params["token"])


# ---- reviewer pages -------------------------------------------------------------------------------

async def home(request: Request) -> HTMLResponse:
    return views.html("message.html", title="lugha review",
                      message="Open the personal link the project owner gave you.")


async def favicon(request: Request) -> Response:
    return Response(status_code=204, headers=views.headers(CSP_REVIEWER))


async def review_page(request: Request, error: str = "", status: int = 200) -> HTMLResponse:
    rv = _reviewer(request)
    if rv is None:
        return views.not_found()
    conn = _conn(request)
    item_id = store.current_item(conn, rv.id)
    prog = store.progress(conn, rv.id)
    if item_id is None:
        return views.done_page(rv.name, prog)
    item = store.get_item(conn, item_id)
    return views.review_page(rv.name, prog, item, store.form_of_batch(conn, item["batch_id"]),
                             request.path_params["token"], _csrf(_secret(request), f"r:{rv.id}:{item_id}"),
                             swapped=bool(store.assignment(conn, rv.id, item_id)["swapped"]), error=error,
                             status=status)


async def review_submit(request: Request) -> Response:
    rv = _reviewer(request)
    if rv is None:
        return views.not_found()
    form = await request.form(max_fields=50, max_part_size=64 * 1024)
    try:
        item_id = int(form.get("item_id", ""))
    except ValueError:
        return views.text("bad item", 400)
    if not _same_origin(request) or not hmac.compare_digest(
            str(form.get("csrf", "")), _csrf(_secret(request), f"r:{rv.id}:{item_id}")):
        return views.text("CSRF check failed: reload the page", 403)
    try:
        item = store.get_item(_conn(request), item_id)
        if item is None:
            raise store.NotYours(item_id)
        answers = _answers(store.form_of_batch(_conn(request), item["batch_id"]), form)
        store.save_label(_conn(request), rv.id, item_id, answers=answers)
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
                            headers=views.headers(CSP_REVIEWER))


def _answers(form, posted) -> dict:
    """A posted review form -> {criterion id: answer}. Flags are checkboxes named "flag" (value: the
    flag's id); a checklist's checkboxes carry the criterion's id as name; every other criterion is
    posted under its id."""
    flags = [str(f) for f in posted.getlist("flag")]
    known = {f.value for f in form.flags}
    bad = [f for f in flags if f not in known]
    if bad:
        raise ValueError(f"unknown flag {bad[0]!r}")
    out: dict = {}
    for c in form.criteria:
        if c.kind == "flag":
            out[c.id] = "yes" if c.id in flags else "no"
        elif c.kind == "checklist":
            out[c.id] = [str(v) for v in posted.getlist(c.id)]
        else:
            v = posted.get(c.id)
            out[c.id] = None if v is None else str(v)
    return out


async def review_image(request: Request) -> Response:
    rv = _reviewer(request)
    if rv is None:
        return views.not_found()
    row = store.image_for(_conn(request), rv.id, request.path_params["item_id"])
    if row is None:
        return views.not_found()
    return Response(row["image"], media_type=row["image_type"], headers=views.headers(CSP_REVIEWER))


# ---- admin pages ----------------------------------------------------------------------------------

async def admin_page(request: Request, new_link: str = "", new_name: str = "", error: str = "") -> HTMLResponse:
    if not _admin_ok(request):
        return views.not_found()
    conn = _conn(request)
    return views.admin_page(request.path_params["token"], store.reviewers(conn), store.counts(conn),
                            _csrf(_secret(request), "admin"), key=store.blind_key_rows(conn),
                            new_link=new_link, new_name=new_name, error=error)


async def admin_add_reviewer(request: Request) -> Response:
    if not _admin_ok(request):
        return views.not_found()
    form = await request.form(max_fields=10)
    if not _same_origin(request) or not hmac.compare_digest(str(form.get("csrf", "")),
                                                            _csrf(_secret(request), "admin")):
        return views.text("CSRF check failed: reload the page", 403, CSP_ADMIN)
    name = str(form.get("name", "")).strip()
    try:
        tok = store.add_reviewer(_conn(request), name, role=str(form.get("role") or "speaker"))
    except LughaError as e:
        return await admin_page(request, error=e.message)
    base = f"{request.url.scheme}://{request.headers.get('host', '')}"
    return await admin_page(request, new_link=f"{base}/r/{tok}", new_name=name)


async def admin_results(request: Request) -> Response:
    if not _admin_ok(request):
        return views.not_found()
    return HTMLResponse(render_results_page(results_mod.compute(_conn(request))),
                        headers=views.headers(CSP_ADMIN))


async def admin_results_json(request: Request) -> Response:
    if not _admin_ok(request):
        return views.not_found()
    return Response(report.to_json(results_mod.compute(_conn(request))), media_type="application/json",
                    headers=views.headers(CSP_ADMIN))


async def admin_export_csv(request: Request) -> Response:
    if not _admin_ok(request):
        return views.not_found()
    return Response(results_mod.export_csv_bytes(_conn(request)), media_type="text/csv",
                    headers={**views.headers(CSP_ADMIN),
                             "Content-Disposition": 'attachment; filename="labels.csv"'})


ROUTES = [
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


class _Checkpointer:
    """WAL checkpoints (the only fsyncs in synchronous=NORMAL) in a background thread, not in the
    commit that happens to cross the threshold, so no reviewer's request waits on the disk."""

    def __init__(self, db_path: Path, synchronous: str):
        self.db_path, self.synchronous = db_path, synchronous
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)

    def _run(self) -> None:
        c = store.connect(self.db_path, self.synchronous)
        try:
            while not self.stop.wait(1.0):
                c.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            c.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            c.close()


def create_app(db_path: str | Path, synchronous: str = "NORMAL") -> Starlette:
    db_path = Path(db_path)
    # One connection, used from the event loop only: SQLite serialises writers anyway, and a single
    # writer never waits on a lock, which keeps latency flat under many concurrent reviewers.
    conn = store.open_project(db_path, synchronous)
    conn.execute("PRAGMA wal_autocheckpoint=0")
    checkpoints = _Checkpointer(db_path, synchronous)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        checkpoints.thread.start()
        yield
        checkpoints.stop.set()
        checkpoints.thread.join(30)
        conn.close()

    app = Starlette(routes=ROUTES, lifespan=lifespan, middleware=[security_headers(CSP_REVIEWER)])
    app.state.db = conn
    app.state.csrf_secret = store.meta(conn, "csrf_secret") or ""
    return app


def render_results_page(res: dict) -> str:
    """The self-contained results page, rendered by the report kit (lugha.review.results)."""
    return results_mod.render_html(res)
