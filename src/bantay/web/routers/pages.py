"""Server-rendered pages: the same core calls as the JSON API, rendered with Jinja2."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from bantay.cases import audit as audit_log
from bantay.cases import services
from bantay.cases import triage as triage_core
from bantay.cases.analytics import BANDS, STATUSES, QueueFilter
from bantay.cases.models import utcnow
from bantay.cases.security import new_token, same
from bantay.errors import Forbidden, Invalid, NotAuthenticated, NotFound, Throttled
from bantay.export import charts
from bantay.export import settings as reporting_settings
from bantay.export.download import FORMATS
from bantay.export.explore import PaymentFilter
from bantay.reports.cases import case_reports
from bantay.web.deps import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    AddressDep,
    AdminDep,
    AdminWriterDep,
    AnalyticsDep,
    DbDep,
    Principal,
    PrincipalDep,
    SettingsDep,
    SupervisorDep,
    WriterDep,
)
from bantay.web.errors import message_of
from bantay.web.routers.alerts import read_queue
from bantay.web.routers.audit import audit_rows
from bantay.web.routers.auth import set_session_cookie
from bantay.web.routers.cases import CaseId, case_detail, list_case_rows, narrative_view
from bantay.web.routers.entities import MAX_EXPAND, parse_expand, read_entity
from bantay.web.routers.exports import export_case_file
from bantay.web.routers.payments import FilterDep, case_payments, csv_download, entity_payments
from bantay.web.routers.reporting import change_setting
from bantay.web.routers.search import search_entities, shared_identifier
from bantay.web.schemas import MAX_ID

#: the case page's export buttons
EXPORT_LABELS = {
    "goaml": "goAML STR (XML)",
    "fincen": "FinCEN SAR draft (zip)",
    "ftm": "FollowTheMoney (JSON lines)",
    "pack": "Referral pack (HTML)",
}
from bantay.export.narrative import channel_words  # noqa: E402
from bantay.export.narrative import money as money_text  # noqa: E402

templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
templates.env.filters["money"] = money_text
templates.env.filters["channel"] = channel_words
router = APIRouter(include_in_schema=False)
#: a free-text query parameter of a page (filters, search)
Param = Annotated[str, Query(max_length=200)]
Short = Annotated[str, Query(max_length=20)]


def _form_case_id(value: str) -> int | None:
    """A case number typed in a form: digits only, within range; empty means none."""
    v = value.strip()
    if not v:
        return None
    if not v.isdigit() or len(v) > 18 or not 1 <= int(v) <= MAX_ID:
        raise Invalid("case_id: a case number (digits)")
    return int(v)


def render(request: Request, name: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)


def error_page(
    request: Request, status_code: int, message: str, headers: dict[str, str]
) -> Response:
    r = render(request, "error.html", status_code, message=message, code=status_code, me=None)
    r.headers.update(headers)
    return r


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/alerts"


@router.get("/", response_class=RedirectResponse)
def home() -> RedirectResponse:
    return RedirectResponse("/alerts", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request,
    settings: SettingsDep,
    next: Annotated[str, Query(max_length=2000)] = "/alerts",
) -> HTMLResponse:
    token = new_token()
    r = render(request, "login.html", csrf=token, next=_safe_next(next), error=None, me=None)
    r.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=settings.cookie_secure
    )
    return r


@router.post("/login", response_model=None)
def login_submit(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    address: AddressDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=services.MAX_PASSWORD)],
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/alerts",
) -> Response:
    if not same(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE)):
        raise Forbidden("missing or wrong CSRF token; reload the login page")
    try:
        res = services.login(
            db,
            settings.secret_key.get_secret_value(),
            username,
            password,
            address,
            max_failures=settings.login_max_failures,
            window_s=settings.login_window_s,
            session_hours=settings.session_hours,
        )
    except (NotAuthenticated, Throttled) as exc:
        # the login page again, with what went wrong (the failure is already in the audit log)
        token = new_token()
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Throttled) else {}
        page = render(
            request,
            "login.html",
            429 if isinstance(exc, Throttled) else 401,
            csrf=token,
            next=_safe_next(next),
            error=message_of(exc),
            username=username[:64],
            me=None,
        )
        page.headers.update(headers)
        page.set_cookie(
            LOGIN_CSRF_COOKIE,
            token,
            httponly=True,
            samesite="strict",
            secure=settings.cookie_secure,
        )
        return page
    r = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(r, settings, res.session_token)
    r.delete_cookie(LOGIN_CSRF_COOKIE)
    return r


@router.post("/logout")
def logout_submit(
    request: Request, principal: WriterDep, db: DbDep, settings: SettingsDep
) -> RedirectResponse:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        services.logout(db, settings.secret_key.get_secret_value(), cookie, principal.user)
    r = RedirectResponse("/login", status_code=303)
    r.delete_cookie(SESSION_COOKIE, path="/")
    return r


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(
    request: Request,
    principal: PrincipalDep,
    db: DbDep,
    analytics: AnalyticsDep,
    settings: SettingsDep,
    side: Short = "",
    band: Short = "",
    indicator: Param = "",
    country: Param = "",
    institution: Param = "",
    status: Short = "",
    q: Param = "",
    triage: Annotated[str, Query(max_length=30)] = "",
    assignee: Annotated[str, Query(max_length=64)] = "",
    sort: Short = "score",
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
    after: Annotated[str, Query(max_length=500)] = "",
) -> HTMLResponse:
    f = QueueFilter(
        side or None,
        band or None,
        indicator or None,
        country or None,
        institution or None,
        status or None,
        q or None,
        triage or None,
        assignee or None,
    )
    page, statuses = read_queue(
        db, analytics, principal, settings, f, sort, order, after or None, None
    )
    case_of = services.latest_cases(
        db,
        [
            (r["side"], r["entity_id"])
            for r, st in zip(page.rows, statuses, strict=True)
            if st != "new"
        ],
    )
    params = {**f.as_dict(), "sort": sort, "order": order}
    next_url = (
        "/alerts?" + urlencode({**params, "after": page.next_cursor}) if page.next_cursor else None
    )

    def sort_url(col: str) -> str:
        o = "asc" if (sort == col and order == "desc") else "desc"
        return "/alerts?" + urlencode({**f.as_dict(), "sort": col, "order": o})

    return render(
        request,
        "alerts.html",
        me=principal,
        rows=list(zip(page.rows, statuses, strict=True)),
        case_of=case_of,
        count=page.count,
        next_url=next_url,
        first_url="/alerts?" + urlencode(params),
        paged=bool(after),
        facets=page.facets,
        bands=list(BANDS),
        statuses=list(STATUSES),
        f=f,
        sort=sort,
        order=order,
        sort_url=sort_url,
        now=utcnow(),
        reasons={k: v[0] for k, v in triage_core.REASON_CODES.items()},
        users=[u.username for u in services.list_users(db) if u.active],
        is_supervisor=services.has_role(principal.user, "supervisor"),
        back="/alerts?" + urlencode({**params, "after": after} if after else params),
    )


@router.post("/alerts/triage")
def alerts_triage(
    principal: WriterDep,
    db: DbDep,
    analytics: AnalyticsDep,
    action: Annotated[str, Form(pattern="^(take|assign|unassign|close|confirm)$")],
    alert_id: Annotated[list[str], Form(max_length=triage_core.MAX_BULK)] = [],  # noqa: B006
    reason_code: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=services.MAX_NOTE)] = "",
    assignee: Annotated[str, Form(max_length=64)] = "",
    back: Annotated[str, Form(max_length=2000)] = "/alerts",
) -> RedirectResponse:
    """The queue's bulk actions on the ticked alerts: take, assign, unassign, close, and (for
    supervisors) confirm closings."""
    u = principal.user
    if action == "take":
        triage_core.assign(db, u, alert_id, u.username, alerts=analytics)
    elif action == "assign":
        triage_core.assign(db, u, alert_id, assignee or None, alerts=analytics)
    elif action == "unassign":
        triage_core.assign(db, u, alert_id, None, alerts=analytics)
    elif action == "confirm":
        triage_core.confirm(db, u, alert_id, note)
    else:
        triage_core.close(db, u, alert_id, reason_code, note, alerts=analytics)
    return RedirectResponse(_safe_next(back), status_code=303)


@router.post("/alerts/{alert_id}/reopen")
def alert_reopen(
    alert_id: Annotated[str, PathParam(max_length=64)],
    principal: WriterDep,
    db: DbDep,
    analytics: AnalyticsDep,
    note: Annotated[str, Form(max_length=services.MAX_NOTE)] = "",
    back: Annotated[str, Form(max_length=2000)] = "/alerts",
) -> RedirectResponse:
    triage_core.reopen(db, principal.user, alert_id, note, alerts=analytics)
    return RedirectResponse(_safe_next(back), status_code=303)


def _widen_links(
    network: dict[str, Any], side: str, entity_id: str, widened: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """(label, href) for each drawn node not yet widened: the entity page with that node added
    to ``expand`` (no script: a plain link, one hop at a time)."""
    if len(widened) >= MAX_EXPAND:
        return []
    base = f"/entities/{quote(side, safe='')}/{quote(entity_id, safe='')}"
    out = []
    for n in network["nodes"]:
        key = (str(n["side"]), str(n["entity_id"]))
        if n["ring"] == 0 or key in widened:
            continue
        value = ",".join(f"{s}:{e}" for s, e in [*widened, key])
        label = f"{n['side']} {n.get('name') or n['entity_id']}"
        out.append((label, f"{base}?{urlencode({'expand': value})}#network"))
    return out


@router.get("/entities/{side}/{entity_id}", response_class=HTMLResponse)
def entity_page(
    request: Request,
    side: Annotated[str, PathParam(max_length=20)],
    entity_id: Annotated[str, PathParam(max_length=200)],
    principal: PrincipalDep,
    db: DbDep,
    analytics: AnalyticsDep,
    settings: SettingsDep,
    expand: Annotated[str | None, Query(max_length=2000)] = None,
) -> HTMLResponse:
    widened = parse_expand(expand)
    data = read_entity(db, analytics, principal, side, entity_id, widened)
    money = data["money"]
    currency = "USD"
    open_cases = list_case_rows(db, "open", 200, 0).data
    alerts = analytics.entity_alerts(side, entity_id)
    states = triage_core.states(db, [a["alert_id"] for a in alerts])
    return render(
        request,
        "entity.html",
        me=principal,
        e=data,
        d=data["detail"],
        money=money,
        currency=currency,
        money_svg=Markup(charts.money_chart(money["weeks"], currency)),
        heat_svg=Markup(
            charts.heatmap(money["heatmap"], money["weekdays"], money["local_time_known"])
        ),
        net_svg=Markup(charts.network(data["network"], entity_id)),
        widen=_widen_links(data["network"], side, entity_id, widened),
        widened=[f"{s_}:{e_}" for s_, e_ in widened],
        open_cases=open_cases,
        entity_cases=services.entity_cases(db, side, entity_id),
        entity_alerts=alerts,
        alert_states=states,
        confirmable={a for a, st in states.items() if triage_core.can_confirm(principal.user, st)},
        triage_history=triage_core.history(db, side, entity_id),
        reasons={k: v[0] for k, v in triage_core.REASON_CODES.items()},
        linked_reports=analytics.linked_reports(side, entity_id),
    )


@router.post("/entities/{side}/{entity_id}/case")
def entity_to_case(
    side: Annotated[str, PathParam(max_length=20)],
    entity_id: Annotated[str, PathParam(max_length=200)],
    principal: WriterDep,
    db: DbDep,
    analytics: AnalyticsDep,
    case_id: Annotated[str, Form(max_length=20)] = "",
    title: Annotated[str, Form(max_length=services.MAX_TITLE)] = "",
    alert_id: Annotated[str, Form(max_length=services.MAX_ALERT_ID)] = "",
) -> RedirectResponse:
    existing = _form_case_id(case_id)
    if existing is not None:
        services.add_member(
            db, principal.user, existing, side, entity_id, alert_id or None, entities=analytics
        )
        cid = existing
    else:
        c = services.create_case(
            db,
            principal.user,
            title or f"{side} {entity_id}"[: services.MAX_TITLE],
            [(side, entity_id, alert_id or None)],
            entities=analytics,
        )
        cid = c.id
    return RedirectResponse(f"/cases/{cid}", status_code=303)


@router.get("/cases", response_class=HTMLResponse)
def cases_page(
    request: Request,
    principal: PrincipalDep,
    db: DbDep,
    status: Annotated[str, Query(pattern="^(|open|pending_review|closed)$")] = "",
) -> HTMLResponse:
    rows = list_case_rows(db, status or None, 500, 0)
    return render(request, "cases.html", me=principal, cases=rows, status=status)


@router.post("/cases")
def cases_create(
    principal: WriterDep,
    db: DbDep,
    analytics: AnalyticsDep,
    title: Annotated[str, Form(max_length=services.MAX_TITLE)],
) -> RedirectResponse:
    c = services.create_case(db, principal.user, title, entities=analytics)
    return RedirectResponse(f"/cases/{c.id}", status_code=303)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(
    request: Request, case_id: CaseId, principal: PrincipalDep, db: DbDep, analytics: AnalyticsDep
) -> HTMLResponse:
    c = case_detail(db, case_id)
    member_names = analytics.names([m.entity_id for m in c.members])
    principal.audit(db, "view", "case", str(case_id))
    users = [u.username for u in services.list_users(db) if u.active]
    supervisor = services.has_role(principal.user, "supervisor")
    case = services.get_case(db, case_id)
    return render(
        request,
        "case.html",
        me=principal,
        c=c,
        users=users,
        is_supervisor=supervisor,
        can_act=services.can_act(db, principal.user, case),
        can_review=services.can_review(db, principal.user, case),
        can_close=services.can_close(db, principal.user, case),
        can_assign=supervisor or c.owner == principal.user.username,
        export_formats=EXPORT_LABELS,
        member_names=member_names,
        case_reports=case_reports(db, case_id),
    )


@router.get("/cases/{case_id}/narrative", response_class=HTMLResponse)
def narrative_page(
    request: Request, case_id: CaseId, principal: PrincipalDep, db: DbDep, analytics: AnalyticsDep
) -> HTMLResponse:
    """The narrative editor: the current version (or a draft from the evidence) and history."""
    view = narrative_view(db, analytics, principal, case_id)
    c = case_detail(db, case_id)
    return render(
        request,
        "narrative.html",
        me=principal,
        c=c,
        n=view,
        text=view.current.body if view.current else view.draft,
        max_chars=services.MAX_NARRATIVE,
        can_act=services.can_act(db, principal.user, services.get_case(db, case_id)),
    )


@router.post("/cases/{case_id}/export/{fmt}", response_model=None)
def case_export(
    case_id: CaseId,
    fmt: Annotated[str, PathParam(max_length=20)],
    principal: WriterDep,
    db: DbDep,
    analytics: AnalyticsDep,
    settings: SettingsDep,
) -> Response:
    """The case page's export buttons (supervisors): the file comes back as a download."""
    if fmt not in FORMATS:
        raise NotFound(f"unknown export format {fmt!r}")
    return export_case_file(db, analytics, settings, principal, case_id, fmt)


def _explorer(
    request: Request,
    principal: Principal,
    out: dict[str, Any],
    f: PaymentFilter,
    base: str,
    title: str,
    case: Any = None,
    can_choose: bool = False,
) -> HTMLResponse:
    query = urlencode(f.as_dict())
    return render(
        request,
        "payments.html",
        me=principal,
        out=out,
        f=f,
        base=base,
        title=title,
        c=case,
        can_choose=can_choose,
        query=query,
        indicator_url=lambda i: base + "?" + urlencode({**f.as_dict(), "indicator": i}),
    )


@router.get("/cases/{case_id}/payments", response_class=HTMLResponse)
def case_payments_page(
    request: Request,
    case_id: CaseId,
    f: FilterDep,
    principal: PrincipalDep,
    db: DbDep,
    analytics: AnalyticsDep,
) -> HTMLResponse:
    """The case's payments: filter, see the indicators behind each, choose the evidence."""
    out = case_payments(db, analytics, principal, case_id, f)
    case = services.get_case(db, case_id)
    return _explorer(
        request,
        principal,
        out,
        f,
        f"/cases/{case_id}/payments",
        f"Case #{case_id}: {case.title}",
        case=case,
        can_choose=case.status != "closed" and services.can_act(db, principal.user, case),
    )


@router.get("/cases/{case_id}/payments.csv", response_class=PlainTextResponse)
def case_payments_csv_page(
    case_id: CaseId, f: FilterDep, principal: PrincipalDep, db: DbDep, analytics: AnalyticsDep
) -> PlainTextResponse:
    out = case_payments(db, analytics, principal, case_id, f)
    return csv_download(
        db, principal, out["rows"], f"case:{case_id}", f"bantay-case-{case_id}-payments.csv"
    )


@router.post("/cases/{case_id}/evidence")
def case_evidence_choose(
    case_id: CaseId,
    principal: WriterDep,
    db: DbDep,
    analytics: AnalyticsDep,
    institution: Annotated[str, Form(max_length=100)],
    transaction_id: Annotated[str, Form(max_length=200)],
    include: Annotated[str, Form(pattern="^(yes|no)$")],
    back: Annotated[str, Form(max_length=2000)] = "",
) -> RedirectResponse:
    services.choose_evidence(
        db,
        principal.user,
        case_id,
        institution,
        transaction_id,
        include == "yes",
        payments=analytics,
    )
    target = back if back.startswith(f"/cases/{case_id}/payments") else ""
    return RedirectResponse(target or f"/cases/{case_id}/payments", status_code=303)


@router.get("/entities/{side}/{entity_id}/payments", response_class=HTMLResponse)
def entity_payments_page(
    request: Request,
    side: Annotated[str, PathParam(max_length=20)],
    entity_id: Annotated[str, PathParam(max_length=200)],
    f: FilterDep,
    principal: PrincipalDep,
    db: DbDep,
    analytics: AnalyticsDep,
) -> HTMLResponse:
    out = entity_payments(db, analytics, principal, side, entity_id, f)
    base = f"/entities/{side}/{quote(entity_id, safe='')}/payments"
    names = analytics.names([entity_id])
    return _explorer(request, principal, out, f, base, f"{side} {names.get(entity_id, entity_id)}")


@router.get("/entities/{side}/{entity_id}/payments.csv", response_class=PlainTextResponse)
def entity_payments_csv_page(
    side: Annotated[str, PathParam(max_length=20)],
    entity_id: Annotated[str, PathParam(max_length=200)],
    f: FilterDep,
    principal: PrincipalDep,
    db: DbDep,
    analytics: AnalyticsDep,
) -> PlainTextResponse:
    out = entity_payments(db, analytics, principal, side, entity_id, f)
    return csv_download(
        db, principal, out["rows"], f"{side}:{entity_id}", "bantay-entity-payments.csv"
    )


@router.post("/cases/{case_id}/{action}")
def case_action(
    case_id: CaseId,
    action: Annotated[str, PathParam(max_length=20)],
    principal: WriterDep,
    db: DbDep,
    body: Annotated[str, Form(max_length=services.MAX_COMMENT)] = "",
    decision: Annotated[str, Form(max_length=40)] = "",
    rationale: Annotated[str, Form(max_length=services.MAX_RATIONALE)] = "",
    approve: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=services.MAX_NOTE)] = "",
    assignee: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=services.MAX_REASON)] = "",
    narrative: Annotated[str, Form(max_length=2 * services.MAX_NARRATIVE)] = "",
) -> RedirectResponse:
    u = principal.user
    if action == "narrative":
        services.save_narrative(db, u, case_id, narrative)
    elif action == "comment":
        services.comment(db, u, case_id, body)
    elif action == "decide":
        services.decide(db, u, case_id, decision, rationale)
    elif action == "review":
        services.review(db, u, case_id, approve == "yes", note)
    elif action == "close":
        services.close(db, u, case_id)
    elif action == "assign":
        services.assign(db, u, case_id, [assignee] if assignee else [], reason)
    else:
        raise NotFound(f"unknown action {action!r}")
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    principal: SupervisorDep,
    db: DbDep,
    action: Annotated[str, Query(max_length=32)] = "",
    username: Annotated[str, Query(max_length=64)] = "",
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> HTMLResponse:
    rows = audit_rows(db, action or None, username or None, 200, before)
    check = audit_log.verify(db)
    return render(
        request,
        "audit.html",
        me=principal,
        rows=rows,
        check=check,
        action=action,
        username=username,
    )


@router.get("/docs", response_class=HTMLResponse)
def api_page(request: Request, principal: PrincipalDep) -> HTMLResponse:
    """The HTTP API, read from the app's OpenAPI schema and rendered here: no Swagger UI or ReDoc
    (their scripts come from a CDN, and no installed package ships them), so it works offline."""
    spec = request.app.openapi()
    ops: list[dict[str, Any]] = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            ops.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "tag": (op.get("tags") or ["other"])[0],
                    "id": op.get("operationId", ""),
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "params": [
                        (p["name"], p.get("in", ""), p.get("required", False))
                        for p in op.get("parameters", [])
                    ],
                    "body": "requestBody" in op,
                }
            )
    ops.sort(key=lambda o: (o["tag"], o["path"], o["method"]))
    return render(request, "api.html", me=principal, ops=ops, info=spec.get("info", {}))


@router.get("/redoc", response_class=RedirectResponse)
def redoc() -> RedirectResponse:
    return RedirectResponse("/docs", status_code=303)


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    principal: PrincipalDep,
    db: DbDep,
    analytics: AnalyticsDep,
    q: Param = "",
    field: Annotated[str, Query(max_length=20)] = "",
    value: Param = "",
) -> HTMLResponse:
    """The search box of every page; an identifier's link (field, value) lists who shares it."""
    if field:
        result = shared_identifier(db, analytics, principal, field, value)
    elif q.strip():
        result = search_entities(db, analytics, principal, q)
    else:
        result = None
    return render(
        request, "search.html", me=principal, result=result, q=q, field=field, value=value
    )


@router.get("/admin/reporting", response_class=HTMLResponse)
def reporting_page(request: Request, principal: AdminDep, settings: SettingsDep) -> HTMLResponse:
    """The reporting settings every goAML export uses (administrators)."""
    return render(
        request,
        "reporting.html",
        me=principal,
        values=reporting_settings.flat(settings.workspace),
        entity_keys=reporting_settings.ENTITY_KEYS,
        institution_fields=reporting_settings.INSTITUTION_FIELDS,
        file=reporting_settings.reporting_path(settings.workspace),
    )


@router.post("/admin/reporting")
def reporting_change(
    principal: AdminWriterDep,
    db: DbDep,
    settings: SettingsDep,
    key: Annotated[str, Form(max_length=200)],
    value: Annotated[str, Form(max_length=500)] = "",
) -> RedirectResponse:
    change_setting(db, settings, principal, key, value)
    return RedirectResponse("/admin/reporting", status_code=303)
