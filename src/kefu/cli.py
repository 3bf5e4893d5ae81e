"""The ``kefu`` command line: serve, worker, db upgrade, demo, user create."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import typer
from rich.console import Console

from kefu.alerts.cli import alerts_app
from kefu.channels.email.cli import mail_app
from kefu.compliance.cli import compliance_app
from kefu.core.settings import get_settings
from kefu.kb.cli import kb_app
from kefu.reports.cli import report_app
from kefu.simulate.command import simulate
from kefu.wfm.cli import wfm_app

app = typer.Typer(help="kefu 客服 — contact-center platform.", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_show_locals=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
import_app = typer.Typer(help="Import records from files.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(import_app, name="import")
app.add_typer(mail_app, name="mail")
app.add_typer(compliance_app, name="compliance")
app.add_typer(wfm_app, name="wfm")  # 预测排班: Erlang staffing, scheduling (kefu.wfm)
app.add_typer(alerts_app, name="alerts")
app.add_typer(report_app, name="report")
app.add_typer(kb_app, name="kb")  # the knowledge base (kefu.kb)
console = Console()
err = Console(stderr=True, soft_wrap=True)  # an error line is never broken (a path in it stays whole)


def _settings():
    try:
        return get_settings()
    except Exception as exc:  # pydantic's ValidationError: a bad KEFU_* variable
        err.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from None


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Alembic revision to upgrade to.")) -> None:
    """Create or migrate the database schema (Alembic)."""
    from kefu.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url, revision)
    console.print(f"[green]database at {revision}[/green] ({_redact(settings.database_url)})")


@db_app.command("analyze")
def db_analyze() -> None:
    """Refresh the query planner's statistics (SQLite; the worker also does it every few hours).

    Worth running after a bulk import."""
    from kefu.migrate import analyze

    settings = _settings()
    analyze(settings.database_url)
    console.print(f"[green]statistics refreshed[/green] ({_redact(settings.database_url)})")


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@app.command()
def serve(host: str = typer.Option("127.0.0.1", help="Address to listen on."),
          port: int = typer.Option(8000, help="Port to listen on."),
          workers: int = typer.Option(1, help="Server processes (each runs the timer worker unless "
                                              "KEFU_WORKER_IN_SERVE=false)."),
          ) -> None:
    """Serve the web UI and the API (and the timer worker)."""
    import uvicorn

    from kefu.core.logging import setup, uvicorn_log_config

    settings = _settings()
    setup(settings.log_level)
    console.print(f"kefu on [bold]http://{host}:{port}[/bold]  (API docs: /docs)")
    uvicorn.run("kefu.asgi:app", host=host, port=port, workers=workers, proxy_headers=True,
                log_config=uvicorn_log_config(settings.log_level.upper()))


@app.command()
def worker(once: bool = typer.Option(False, help="Fire what is due now and exit.")) -> None:
    """Run the timer worker alone (SLA breaches, callback due times)."""
    from kefu.core.clock import SystemClock
    from kefu.core.db import make_engine, make_sessionmaker
    from kefu.core.logging import setup
    from kefu.timers.service import run_due
    from kefu.worker import run_forever

    settings = _settings()
    setup(settings.log_level)
    factory = make_sessionmaker(make_engine(settings.database_url))
    after_commit = None
    if settings.redis_url:  # the server processes' chat sockets hear of the idle flow at once, through Redis
        from kefu.chat import wakes
        from kefu.chat.redis_hub import Publisher

        publish = Publisher(settings.redis_url, settings.redis_prefix)

        def after_commit(session) -> None:
            publish(wakes.taken(session))
    if once:
        fired = run_due(factory, SystemClock(), batch=settings.worker_batch, after_commit=after_commit)
        console.print(f"fired {fired} timer(s)")
        return
    stop = threading.Event()
    try:
        run_forever(factory, SystemClock(), interval=settings.worker_interval_seconds, batch=settings.worker_batch,
                    stop=stop, after_commit=after_commit)
    except KeyboardInterrupt:
        stop.set()


@app.command()
def demo(if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing when users already exist."),
         days: int = typer.Option(30, help="Days of ticket history."),
         customers: int = typer.Option(2000, help="How many customers."),
         seed: int = typer.Option(7, help="Random seed (same seed, same center)."),
         ) -> None:
    """Load a believable demo center and print its logins."""
    from kefu.core.errors import DomainError
    from kefu.demo import build_demo, demo_logins

    settings = _settings()
    try:
        result = build_demo(settings.database_url, days=days, customers=customers, seed=seed, if_empty=if_empty,
                            console=console)
    except DomainError as exc:
        err.print(f"[red]cannot load the demo:[/red] {exc.message} (use --if-empty on a database that has data)")
        raise typer.Exit(2) from None
    if result is None:
        console.print("demo data already present; logins:")
    for username, password, role in demo_logins():
        console.print(f"  {username:<14} {password:<14} {role}")


@app.command("settings")
def show_settings() -> None:
    """Print every KEFU_* setting with its default and meaning (Markdown)."""
    from kefu.core.settings import settings_table

    print(settings_table())


@user_app.command("create")
def user_create(username: str = typer.Option(..., help="Login name."),
                password: str = typer.Option(..., help="At least 8 characters."),
                role: str = typer.Option(..., help="trainee, agent, team_lead, complaint_specialist, supervisor, "
                                                   "analyst, qa, listener or admin."),
                team: str | None = typer.Option(None, help="Team name."),
                display_name: str | None = typer.Option(None, help="Name shown in the UI.")) -> None:
    """Create a user account."""
    from kefu.accounts.service import create_user
    from kefu.core.clock import SystemClock
    from kefu.core.context import Actor
    from kefu.core.db import make_engine, make_sessionmaker, session_scope
    from kefu.core.errors import DomainError

    settings = _settings()
    factory = make_sessionmaker(make_engine(settings.database_url))
    try:
        with session_scope(factory) as session:
            user = create_user(session, actor=Actor.system(SystemClock().now()), username=username,
                               password=password, role=role, team_name=team, display_name=display_name)
            console.print(f"[green]created[/green] user #{user.id} {username} ({role})")
    except DomainError as exc:
        err.print(f"[red]cannot create user:[/red] {exc.message}")
        raise typer.Exit(2) from None


@import_app.command("contacts")
def import_contacts(file: Path = typer.Argument(..., help="CSV with a header of record fields (call_id, "
                                                          "offered_at, outcome, customer_phone…); UTF-8 or GB18030."),
                    chunk: int = typer.Option(5000, min=1, help="Rows per committed chunk.")) -> None:
    """Import call-detail records from CSV. Each chunk is committed: re-running after a crash stores every
    row once. Bad rows are listed by line; the exit code is 1 if there were any."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    from sqlalchemy.exc import SQLAlchemyError

    import kefu.listeners  # noqa: F401  (the contacts' listeners: alert counts, KPI rollups)
    from kefu.contacts.importer import ImportFileError, count_rows, import_csv
    from kefu.core.clock import SystemClock
    from kefu.core.db import make_engine, make_sessionmaker
    from kefu.core.pii import scrub_text

    settings = _settings()
    if not file.is_file():
        err.print(f"[red]no such file:[/red] {file}", soft_wrap=True)
        raise typer.Exit(2)
    factory = make_sessionmaker(make_engine(settings.database_url))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    try:
        with Progress(*columns, console=err, transient=True) as progress:
            task = progress.add_task(f"importing {file.name}", total=count_rows(file))
            result = import_csv(factory, file, now=SystemClock().now, chunk=chunk,
                                on_chunk=lambda n: progress.advance(task, n))
    except ImportFileError as exc:
        err.print(f"[red]cannot import {file}:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(2) from None
    except UnicodeDecodeError:
        err.print(f"[red]cannot import {file}:[/red] it is neither UTF-8 nor GB18030 text", soft_wrap=True)
        raise typer.Exit(2) from None
    except SQLAlchemyError as exc:  # rows committed so far stay; a re-run takes the rest
        detail = scrub_text(str(getattr(exc, "orig", None) or exc))[:300]
        err.print(f"database error, import stopped: {type(exc).__name__}: {detail}", style="red", markup=False,
                  soft_wrap=True)
        raise typer.Exit(2) from None
    for bad in result.bad:
        typer.echo(str(bad))
    typer.echo(f"{result.rows} rows: created {result.created}, duplicates {result.duplicates}, bad {result.bad_rows}")
    if result.bad:
        raise typer.Exit(1)


app.command("simulate")(simulate)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
