"""medborgarkontor beside a bare reference (bench/support/reference.py), in the same run and on the same database,
driven alternately by the same closed-loop load (wrk, 8 keep-alive connections):

- issue-pg:     ticket issue on PostgreSQL;
- call-next:    call-next on PostgreSQL (the line topped up before every run);
- issue-sqlite: ticket issue on SQLite, the embedded default;
- processes:    what a second web process adds: ticket issue with one and with two web processes sharing a port
                (SO_REUSEPORT), both apps, spread over many lines as a city's installation is (the kiosks of the
                nine offices of deployments/stockholm, each request to the next of their 16 queues; the reference:
                as many counters). One line's counter row is locked from a ticket's number to its commit, so a
                single line caps the rate whatever the processes (issue-pg measures that line); on a machine with
                few cores give --cpu-per-process (e.g. 0.3): each web process is held to that share of a core, so
                the database and wrk keep room and a second process can show what it adds;
- fanout:       N open live streams (half display boards, half visitors' phones; the reference: N plain streams),
                a few calls, the time from each call's response to the event on every stream, and missed events.

    .venv/bin/python -m bench.scale [--only issue-pg,call-next,issue-sqlite,processes,fanout]
                                    [--rounds 5] [--seconds 5] [--streams 2000] [--calls 5]
                                    [--readers 2] [--cpu-per-process 0.3]

Prints medians of interleaved rounds and the ratios. Ticket issue and call-next on PostgreSQL analyze the database
(both apps' tables) before every run, as production's autovacuum would (bench.support.harness.analyze). Needs wrk
(Debian: apt-get install wrk) and PostgreSQL at $MBK_BENCH_POSTGRES (default postgres@127.0.0.1:5432). Figures only:
nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

import httpx

from bench.support import fanout, reference
from bench.support.harness import (
    ANALYZED,
    CITY,
    CONNECTIONS,
    OFFICE_API,
    PROJECT_APP,
    REFERENCE_APP,
    Post,
    Run,
    Servers,
    enrol_kiosks,
    guide_token,
    interleaved,
    machine,
    measured,
    prefill_project,
    prepare_project,
    project_env,
    project_has_waiting,
    settle,
    table,
    temporary_database,
    ticket_lines,
    wrk,
)

ISSUE_BODY = '{"service": "info", "language": "sv"}'
CALL_BODY = '{"counter": "info-1"}'
BARE_ISSUE = [Post("/tickets", "{}")]
BARE_CALL = [Post("/call-next", "{}")]
PREFILL_PER_SECOND = 1500  # waiting tickets put in the line per second of a call-next run: more than either takes
SCENARIOS = ("issue-pg", "call-next", "issue-sqlite", "processes", "fanout")


def warmed(targets: dict[str, Callable[[], Run]]) -> dict[str, Callable[[], Run]]:
    """Run each target once, unmeasured (first requests fill caches and connection pools)."""
    for target in targets.values():
        target()
    return targets


def issue(args: argparse.Namespace, backend: str) -> None:
    with temporary_database(backend) as url:
        kiosk = prepare_project(url)
        reference.create_tables(url)
        with Servers(PROJECT_APP, project_env(url)) as project, \
                Servers(REFERENCE_APP, {"MBK_BENCH_BARE_URL": url}) as bare:
            project_issue = [Post(f"{OFFICE_API}/tickets", ISSUE_BODY, kiosk)]
            targets = warmed({
                "bare: counter upsert + INSERT": lambda: measured(
                    bare, lambda: wrk(bare.base, BARE_ISSUE, args.seconds), url=url),
                "medborgarkontor POST /tickets": lambda: measured(
                    project, lambda: wrk(project.base, project_issue, args.seconds),
                    after=lambda: settle(url), url=url),
            })
            results = interleaved(targets, args.rounds)
    analyzed = f", {ANALYZED}" if backend == "postgresql" else ""
    table(f"ticket issue on {backend}, {CONNECTIONS} connections, medians of {args.rounds} rounds × {args.seconds} s"
          f"{analyzed}", results)


def call_next(args: argparse.Namespace) -> None:
    prefill = args.seconds * PREFILL_PER_SECOND

    def topped_up(fill: Callable[[], None], run: Callable[[], Run], has_waiting: Callable[[], bool]) -> Run:
        fill()
        result = run()
        if not has_waiting():
            print("  (the line ran dry during a run: raise PREFILL_PER_SECOND)")
        return result

    with temporary_database("postgresql") as url:
        prepare_project(url)
        reference.create_tables(url)
        with Servers(PROJECT_APP, project_env(url)) as project, \
                Servers(REFERENCE_APP, {"MBK_BENCH_BARE_URL": url}) as bare:
            project_call = [Post(f"{OFFICE_API}/call-next", CALL_BODY, guide_token(project.base))]
            targets = warmed({
                "bare: SKIP LOCKED + UPDATE": lambda: topped_up(
                    lambda: reference.prefill(url, prefill),
                    lambda: measured(bare, lambda: wrk(bare.base, BARE_CALL, args.seconds), url=url),
                    lambda: reference.has_waiting(url)),
                "medborgarkontor POST /call-next": lambda: topped_up(
                    lambda: prefill_project(url, prefill),
                    lambda: measured(project, lambda: wrk(project.base, project_call, args.seconds),
                                     after=lambda: settle(url), url=url),
                    lambda: project_has_waiting(url)),
            })
            results = interleaved(targets, args.rounds)
    table(f"call-next on postgresql, {CONNECTIONS} connections, medians of {args.rounds} rounds × {args.seconds} s, "
          f"{ANALYZED}", results)


def processes(args: argparse.Namespace) -> None:
    """One vs two web processes of each app, the tickets spread over the city's lines (the module's docstring)."""
    lines = ticket_lines(CITY)
    offices = {office for office, _ in lines}
    with temporary_database("postgresql") as url:
        prepare_project(url)
        kiosks = enrol_kiosks(url, offices)
        reference.create_tables(url)
        project_posts = [Post(f"/api/v1/offices/{office}/queue/tickets", json.dumps({"service": service}),
                              kiosks[office]) for office, service in lines]
        bare_posts = [Post("/tickets", json.dumps({"service": f"line-{number}"})) for number in range(len(lines))]
        bare_env = {"MBK_BENCH_BARE_URL": url}
        share = args.cpu_per_process or None
        with Servers(PROJECT_APP, project_env(url, CITY), 1, share) as one, \
                Servers(PROJECT_APP, project_env(url, CITY), 2, share) as two, \
                Servers(REFERENCE_APP, bare_env, 1, share) as bare_one, \
                Servers(REFERENCE_APP, bare_env, 2, share) as bare_two:
            def run(servers: Servers, posts: list[Post], after: Callable[[], None] = lambda: None) -> Run:
                return measured(servers, lambda: wrk(servers.base, posts, args.seconds), after=after, url=url)

            targets = warmed({
                "bare, 1 process": lambda: run(bare_one, bare_posts),
                "bare, 2 processes": lambda: run(bare_two, bare_posts),
                "medborgarkontor, 1 process": lambda: run(one, project_posts, lambda: settle(url)),
                "medborgarkontor, 2 processes": lambda: run(two, project_posts, lambda: settle(url)),
            })
            results = interleaved(targets, args.rounds)
    held = f", each process held to {args.cpu_per_process:g} of a core" if args.cpu_per_process else ""
    rates = table(f"ticket issue on postgresql over {len(lines)} lines (the kiosks of deployments/stockholm's "
                  f"{len(offices)} offices, each request to the next line), one vs two processes on one port{held}, "
                  f"{CONNECTIONS} connections, medians of {args.rounds} rounds × {args.seconds} s", results)
    print(f"  two processes / one: bare {rates['bare, 2 processes'] / rates['bare, 1 process']:.2f}×, "
          f"medborgarkontor {rates['medborgarkontor, 2 processes'] / rates['medborgarkontor, 1 process']:.2f}×")


def fan_out(args: argparse.Namespace) -> None:
    print(f"\nlive fan-out on postgresql, one process, {args.calls} calls: from each call's response to the event "
          "on every stream")
    print(fanout.HEADER)
    with temporary_database("postgresql") as url:
        kiosk = prepare_project(url)
        reference.create_tables(url)
        reference.prefill(url, args.calls)
        with Servers(REFERENCE_APP, {"MBK_BENCH_BARE_URL": url}) as bare:
            async def bare_call(client: httpx.AsyncClient) -> None:
                (await client.post("/call-next")).raise_for_status()

            result = fanout.measure(bare.port, ["/events"] * args.streams, bare_call, args.calls, bare.cpu_seconds,
                                    bare.resident_mib, args.readers)
            print(result.line("bare: plain streams"), flush=True)
        with Servers(PROJECT_APP, project_env(url)) as project:
            headers = {"Authorization": f"Bearer {kiosk}"}
            issued = [httpx.post(f"{project.base}{OFFICE_API}/tickets", json={"service": "info"}, headers=headers,
                                 timeout=60)
                      for _ in range(args.calls + 1)]
            watched = issued[-1].json()["id"]  # still waiting after the calls: its phones hear every call of its line
            paths = [f"{OFFICE_API}/board/events", f"{OFFICE_API}/tickets/{watched}/events"] * (args.streams // 2)
            guide = {"Authorization": f"Bearer {guide_token(project.base)}"}

            async def project_call(client: httpx.AsyncClient) -> None:
                (await client.post(f"{OFFICE_API}/call-next", json={"counter": "info-1"}, headers=guide)
                 ).raise_for_status()

            result = fanout.measure(project.port, paths, project_call, args.calls, project.cpu_seconds,
                                    project.resident_mib, args.readers)
            print(result.line("medborgarkontor: boards + phones"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(SCENARIOS), help="comma-separated: " + ", ".join(SCENARIOS))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--streams", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--readers", type=int, default=fanout.READERS, help="fanout: processes reading the streams")
    parser.add_argument("--cpu-per-process", type=float, default=0,
                        help="processes: hold each web process to this share of one core (a cgroup; needs root), so "
                             "that on a machine with few cores the web processes, not the cores they share with wrk "
                             "and the database, set the rate; 0: no limit")
    args = parser.parse_args()
    chosen = args.only.split(",")
    unknown = set(chosen) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(sorted(unknown))}")
    began = time.perf_counter()
    print(machine())
    runs = {"issue-pg": lambda: issue(args, "postgresql"), "call-next": lambda: call_next(args),
            "issue-sqlite": lambda: issue(args, "sqlite"), "processes": lambda: processes(args),
            "fanout": lambda: fan_out(args)}
    for name in SCENARIOS:
        if name in chosen:
            runs[name]()
    print(f"\ntotal {time.perf_counter() - began:.0f} s; {machine()}")


if __name__ == "__main__":
    main()
