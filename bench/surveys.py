"""Benchmark of the surveys report: 1,000,000 responses across offices, report time on SQLite and PostgreSQL.

    .venv/bin/python bench/surveys.py [--responses 1000000] [--offices 5] [--postgres URL] [--databases sqlite]

Each run uses temporary databases (a temp SQLite file; a fresh PostgreSQL database, dropped at the end),
bulk-loads deterministic random responses (executemany on SQLite, COPY on PostgreSQL), then times the
report for one office over a year (by month and by week), the admin panel (overall and by gender), and the
cross-office comparison. The report is SQL aggregation: only grouped rows come back to Python.
"""

# ruff: noqa: E402  (the sys.path fix below must run before the imports)
from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this folder comes first on sys.path, where a sibling bench (bench/queue.py) would shadow
# the standard library's queue module that psycopg imports.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import sqlalchemy as sa

import plugins.surveys
from core import migrate
from core.config import Directory, Localized, OfficeConfig
from core.db import Database
from core.plugins import PluginManager
from plugins.surveys import service
from plugins.surveys.settings import ContextChoice, Question, Survey, SurveysSettings

END = date(2026, 11, 30)
DAYS = 365
LANGUAGES = ("sv", "en", "ar", "so", "fi", "fa", "ti")
LANGUAGE_WEIGHTS = (50, 8, 15, 12, 5, 6, 4)
GENDERS = ("woman", "man", "other", "unstated", None)
GENDER_WEIGHTS = (52, 40, 2, 3, 3)
CATEGORIES = ("preschool", "financial-assistance", "migration", "housing", "id-card")
CHUNK = 50_000
ANSWER_COLUMNS = "response_id, question_id, value, office_id, survey_id, language, day, context, gender"


def office_config(office_id: str) -> OfficeConfig:
    survey = Survey(id="exit", context="category", ask_context=True,
                    context_choices=tuple(ContextChoice(id=c, label=Localized(sv=c)) for c in CATEGORIES),
                    questions=(Question(id="welcome", type="smiley", text=Localized(sv="Bemötande?")),))
    return OfficeConfig(id=office_id, name=Localized(sv=office_id), timezone="Europe/Stockholm", languages=LANGUAGES,
                        enabled_plugins=("surveys",), plugin_settings={"surveys": SurveysSettings(surveys=(survey,))},
                        directory=Directory(), source=Path("bench"))


def generate(total: int, offices: list[str], seed: int = 7) -> Iterator[tuple[list[tuple], list[tuple]]]:
    """Chunks of (responses, answers) rows; every response answers both indicators, half the smiley."""
    rng = random.Random(seed)
    for start in range(0, total, CHUNK):
        responses, answers = [], []
        for i in range(start, min(total, start + CHUNK)):
            rid = uuid.UUID(int=rng.getrandbits(128), version=4).hex
            office = offices[i % len(offices)]
            day = END - timedelta(days=rng.randrange(DAYS))
            gender = rng.choices(GENDERS, GENDER_WEIGHTS)[0]
            language = rng.choices(LANGUAGES, LANGUAGE_WEIGHTS)[0]
            response = (rid, office, "exit", language, day, rng.choice(CATEGORIES), gender)
            responses.append(response)
            learned_rate = 0.62 if gender == "woman" else 0.55
            answers.append((rid, "learned", "yes" if rng.random() < learned_rate else "no", *response[1:]))
            answers.append((rid, "self_reliant", "yes" if rng.random() < 0.38 else "no", *response[1:]))
            if i % 2 == 0:
                answers.append((rid, "welcome", str(rng.randint(1, 5)), *response[1:]))
        yield responses, answers


def secondary_indexes() -> list[sa.Index]:
    return [*service.SurveyResponse.__table__.indexes, *service.SurveyAnswer.__table__.indexes]


def without_indexes(load: Callable[[Database, int, list[str]], None]) -> Callable[[Database, int, list[str]], None]:
    """Bulk-load practice: drop the secondary indexes, load, build them again (counted in the load time)."""

    def wrapped(database: Database, total: int, offices: list[str]) -> None:
        with database.engine.begin() as conn:
            for index in secondary_indexes():
                index.drop(conn)
        load(database, total, offices)
        with database.engine.begin() as conn:
            for index in secondary_indexes():
                index.create(conn)

    return wrapped


def load_sqlite(database: Database, total: int, offices: list[str]) -> None:
    raw = database.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA cache_size = -400000")  # 400 MB: the primary keys are random, keep the pages at hand
        cur.execute("BEGIN")
        for responses, answers in generate(total, offices):
            cur.executemany("INSERT INTO surveys_response (id, office_id, survey_id, language, day, context, gender)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?)", [(*r[:4], r[4].isoformat(), *r[5:]) for r in responses])
            cur.executemany(f"INSERT INTO surveys_answer ({ANSWER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [(*a[:6], a[6].isoformat(), *a[7:]) for a in answers])
        cur.execute("COMMIT")
    finally:
        raw.close()


def copy_text(rows: list[tuple]) -> str:
    """Rows in COPY's text format (tab-separated, \\N for NULL); our values hold no tabs or newlines."""
    return "".join("\t".join("\\N" if v is None else str(v) for v in row) + "\n" for row in rows)


def load_postgres(database: Database, total: int, offices: list[str]) -> None:
    raw = database.engine.raw_connection()
    try:
        cur = raw.cursor()
        for responses, answers in generate(total, offices):
            with cur.copy("COPY surveys_response (id, office_id, survey_id, language, day, context, gender) "
                          "FROM STDIN") as copy:
                copy.write(copy_text(responses))
            with cur.copy(f"COPY surveys_answer ({ANSWER_COLUMNS}) FROM STDIN") as copy:
                copy.write(copy_text(answers))
        raw.commit()
    finally:
        raw.close()


def timed(action: Callable[[], object], repeat: int = 3) -> tuple[float, object]:
    """Median wall time in milliseconds over ``repeat`` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        began = time.perf_counter()
        result = action()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), result


def run(name: str, url: str, total: int, office_count: int, load: Callable[[Database, int, list[str]], None]) -> None:
    offices = [f"office-{n}" for n in range(1, office_count + 1)]
    configs = [office_config(o) for o in offices]
    database = Database(url)
    try:
        migrate.upgrade(database.engine, PluginManager.from_objects({"surveys": plugins.surveys}))
        began = time.perf_counter()
        load(database, total, offices)
        load_seconds = time.perf_counter() - began
        # What autovacuum does after a bulk load: planner statistics, and on PostgreSQL the visibility map
        # that lets the report read the covering index alone.
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE" if database.is_postgres else "ANALYZE"))
        office = configs[0]
        survey = office.settings_for("surveys").surveys[0]
        start = END - timedelta(days=DAYS - 1)
        with database.session() as session:
            responses = session.scalar(sa.select(sa.func.count()).select_from(service.SurveyResponse))
            answers = session.scalar(sa.select(sa.func.count()).select_from(service.SurveyAnswer))
            print(f"\n{name}: loaded {responses:,} responses ({answers:,} answers) in {office_count} offices "
                  f"in {load_seconds:.1f} s ({responses / load_seconds:,.0f} responses/s)")
            month_ms, report = timed(lambda: service.build_report(session, office, survey, start, END, "month"))
            week_ms, _ = timed(lambda: service.build_report(session, office, survey, start, END, "week"))
            month_start = END - timedelta(days=29)
            panel_ms, _ = timed(lambda: service.indicator_summaries(session, office, survey, month_start, END))
            compare_ms, _ = timed(lambda: service.compare_offices(session, configs, "learned", start, END))
        learned = report.indicators[0]
        print(f"  full report, one office ({report.responses:,} responses, one year, by month): {month_ms:8.0f} ms")
        print(f"  full report, one office, by week:                                  {week_ms:8.0f} ms")
        print(f"  admin panel (overall and by gender, last 30 days):                  {panel_ms:8.0f} ms")
        print(f"  cross-office comparison, {office_count} offices, overall and by gender:"
              f"           {compare_ms:8.0f} ms")
        share = learned.overall.share
        low, high = share.interval
        print(f"  check: learned = {share.yes:,} of {share.n:,} = {share.value:.1%} ({low:.1%}–{high:.1%})")
    finally:
        database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--offices", type=int, default=5)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                        help="an admin URL; a temporary database is created next to it and dropped")
    parser.add_argument("--databases", default="sqlite,postgresql", help="which of sqlite,postgresql to run")
    args = parser.parse_args()
    if not 1 <= args.responses <= 5_000_000:
        parser.error("--responses must be between 1 and 5,000,000")

    databases = set(args.databases.split(","))
    if "sqlite" in databases:
        with tempfile.TemporaryDirectory(prefix="mbk-bench-surveys-") as folder:
            run("SQLite", f"sqlite:///{folder}/bench.db", args.responses, args.offices, without_indexes(load_sqlite))
    if "postgresql" not in databases:
        return
    admin = sa.create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    name = f"mbk_bench_surveys_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        url = sa.engine.make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
        run("PostgreSQL", url, args.responses, args.offices, without_indexes(load_postgres))
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
