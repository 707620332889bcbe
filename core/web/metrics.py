"""``/metrics`` in the Prometheus text format (prometheus-client), for the platform's own monitoring only.

Off unless platform.toml names the environment variable holding its token (``metrics_token_env``); then a scrape
must send ``Authorization: Bearer <token>``. It exposes:

- per-process series: request latency per route template (``mbk_http_request_duration_seconds``, measured to the
  start of the response, so a live stream counts its opening) and open live streams (``mbk_live_streams``);
- series read from the database at scrape time: core's outbox backlog, delivery lag and failures per plugin, and
  whatever each plugin adds through ``mbk_metrics`` for each office that enables it.

Several processes: ``mbk serve --processes N`` gives its processes a shared ``PROMETHEUS_MULTIPROC_DIR``
(prometheus-client's multiprocess mode), so whichever process answers a scrape reports the sum over all of them.
The database series are the same from any process.
"""

from __future__ import annotations

import os
import secrets
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import false, func, select
from sqlalchemy.orm import Session
from starlette.routing import Mount

from core.db import utcnow
from core.events import EventDelivery, OutboxEvent
from core.problems import NotFound, Unauthorized
from core.web.deps import ContextDep

if TYPE_CHECKING:
    from starlette.types import Scope

    from core.context import AppContext

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

REQUEST_SECONDS = Histogram("mbk_http_request_duration_seconds",
                            "Time from a request's arrival to the start of its response, per route template.",
                            ["method", "route", "status"])
LIVE_STREAMS = Gauge("mbk_live_streams", "Open live (server-sent event) streams.", ["office"],
                     multiprocess_mode="livesum")

router = APIRouter(include_in_schema=False)


# REQUEST_SECONDS's series by method, route template and status: ``labels`` looks one up under a lock, each request.
_REQUEST_SERIES: dict[tuple[str, str, int], Histogram] = {}


def observe_request(scope: Scope, status: int, seconds: float) -> None:
    """An HTTP request's latency, under its route template (never the raw path: ids in paths would make a series per
    ticket); called at the edge (core.web.edge) when its response starts."""
    key = (scope["method"], route_template(scope), status)
    series = _REQUEST_SERIES.get(key)
    if series is None:
        series = _REQUEST_SERIES[key] = REQUEST_SECONDS.labels(key[0], key[1], str(status))
    series.observe(seconds)


def route_template(scope: Scope) -> str:
    """The matched route's full template, e.g. ``/api/v1/offices/{office}/queue/tickets/{ticket_id}``.

    FastAPI puts the route of an included router in the scope with its own path only (``/tickets/{ticket_id}``):
    the prefix is the path's leading segments, each parameter of the prefix (``{office}``) put back in place of
    its value."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path is None:
        return "unmatched"
    if isinstance(route, Mount):
        return f"{path}/{{path}}"
    if scope["path"].count("/") == path.count("/"):
        return path  # the route's own path is the whole template (a route not under an included router's prefix)
    segments = scope["path"].split("/")
    prefix = segments[:len(segments) - path.count("/")]
    for name, value in scope.get("path_params", {}).items():
        if "{" + name not in path and str(value) in prefix[1:]:
            prefix[prefix.index(str(value), 1)] = "{" + name + "}"
    return "/".join(prefix) + path


def outbox_families(ctx: AppContext, session: Session, now: datetime) -> Iterator[Metric]:
    """Per office and plugin: events not yet delivered (pending deliveries, plus events not yet fanned out to the
    plugins that will get them), the age of the oldest of them, and deliveries that failed for good."""
    backlog: dict[tuple[str, str], int] = defaultdict(int)
    oldest: dict[tuple[str, str], datetime] = {}
    failed: dict[tuple[str, str], int] = defaultdict(int)

    def count(key: tuple[str, str], number: int, since: datetime) -> None:
        backlog[key] += number
        oldest[key] = min(oldest.get(key, since), since)

    pending = (select(EventDelivery.office_id, EventDelivery.plugin, func.count(), func.min(OutboxEvent.created_at))
               .join(OutboxEvent, OutboxEvent.id == EventDelivery.event_id)
               .where(EventDelivery.status == "pending").group_by(EventDelivery.office_id, EventDelivery.plugin))
    for office_id, plugin, number, since in session.execute(pending):
        count((office_id, plugin), number, since)
    waiting = (select(OutboxEvent.office_id, OutboxEvent.type, func.count(), func.min(OutboxEvent.created_at))
               .where(OutboxEvent.fanned_out.is_(false())).group_by(OutboxEvent.office_id, OutboxEvent.type))
    for office_id, event_type, number, since in session.execute(waiting):
        for plugin in ctx.plugins.event_handlers(ctx.deployment.office(office_id), event_type):
            count((office_id, plugin), number, since)
    for office_id, plugin, number in session.execute(
            select(EventDelivery.office_id, EventDelivery.plugin, func.count())
            .where(EventDelivery.status == "failed").group_by(EventDelivery.office_id, EventDelivery.plugin)):
        failed[(office_id, plugin)] = number

    # Every office and plugin that takes events gets a sample, 0 when all is delivered: alerts need the series.
    for office in ctx.deployment.offices.values():
        for plugin, _ in ctx.plugins.implementations("mbk_handle_event", office.enabled_plugins):
            backlog[(office.id, plugin)] += 0
            failed[(office.id, plugin)] += 0
    labels = ["office", "plugin"]
    families = (GaugeMetricFamily("mbk_outbox_backlog", "Events not yet delivered to a plugin.", labels=labels),
                GaugeMetricFamily("mbk_outbox_lag_seconds", "Age of the oldest event not yet delivered to a plugin "
                                  "(0 when none waits).", labels=labels),
                GaugeMetricFamily("mbk_outbox_failed", "Deliveries that failed for good (retry them from the admin "
                                  "view or `mbk events retry`).", labels=labels))
    for key in sorted(backlog):
        families[0].add_metric(list(key), backlog[key])
        since = oldest.get(key)
        families[1].add_metric(list(key), max(0.0, (now - since).total_seconds()) if since else 0.0)
        families[2].add_metric(list(key), failed[key])
    yield from families


def merged(families: Iterable[Metric]) -> Iterator[Metric]:
    """One family per name: plugins answer per office, the exposition format wants each name once."""
    by_name: dict[str, Metric] = {}
    for family in families:
        if family.name not in by_name:
            by_name[family.name] = Metric(family.name, family.documentation, family.type, family.unit)
        by_name[family.name].samples.extend(family.samples)
    yield from by_name.values()


class _Scrape:
    """What one scrape collects: this process's (or, in multiprocess mode, every process's) series, then the
    database's."""

    def __init__(self, ctx: AppContext):
        self.ctx = ctx

    def collect(self) -> Iterator[Metric]:
        if os.environ.get(MULTIPROCESS_DIR):
            yield from MultiProcessCollector(None).collect()
        else:
            yield from REGISTRY.collect()
        now = utcnow()
        with self.ctx.db.session() as session:
            yield from outbox_families(self.ctx, session, now)
            yield from merged(family for office in self.ctx.deployment.offices.values()
                              for families in self.ctx.hooks(office).mbk_metrics(office=office, session=session,
                                                                                   now=now)
                              for family in families or ())


def _check_token(ctx: AppContext, authorization: str) -> None:
    variable = ctx.deployment.metrics_token_env
    if variable is None:
        raise NotFound("not_found", "Metrics are off (platform.metrics_token_env is not set).")
    expected = os.environ.get(variable, "")
    given = authorization[7:].strip() if authorization.lower().startswith("bearer ") else ""
    if not expected or not secrets.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("unauthorized", "Metrics need the monitoring token (Authorization: Bearer …).")


@router.get("/metrics")
def metrics(request: Request, ctx: ContextDep) -> Response:
    """The Prometheus exposition (for the platform's monitoring; its own token)."""
    _check_token(ctx, request.headers.get("authorization", ""))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Scrape(ctx))  # type: ignore[arg-type]
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


def stream_opened(office_id: str) -> None:
    LIVE_STREAMS.labels(office_id).inc()


def stream_closed(office_id: str) -> None:
    LIVE_STREAMS.labels(office_id).dec()


