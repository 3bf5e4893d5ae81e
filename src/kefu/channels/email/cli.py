"""``kefu mail serve`` (the SMTP receiver) and ``kefu mail poll`` (the IMAP poller)."""

from __future__ import annotations

import threading

import typer

mail_app = typer.Typer(help="E-mail channel: receive by SMTP, poll IMAP.", no_args_is_help=True)


def _setup():
    from kefu.cli import _settings
    from kefu.core.clock import SystemClock
    from kefu.core.db import make_engine, make_sessionmaker
    from kefu.core.logging import setup

    settings = _settings()
    setup(settings.log_level)
    return settings, make_sessionmaker(make_engine(settings.database_url)), SystemClock()


@mail_app.command("serve")
def serve(host: str = typer.Option("0.0.0.0", help="Address to listen on."),
          port: int = typer.Option(25, help="Port to listen on (25 needs privileges; 2525 behind a relay).")) -> None:
    """Receive mail by SMTP for KEFU_MAIL_DOMAINS and turn it into tickets."""
    from kefu.channels.email.smtp import accepted_recipients, controller
    from kefu.cli import console

    settings, factory, clock = _setup()
    domains, addresses = accepted_recipients(settings)
    server = controller(factory, clock, settings, host=host, port=port)
    server.start()
    console.print(f"kefu mail on [bold]smtp://{host}:{port}[/bold] for "
                  f"{', '.join(sorted(domains | addresses)) or '(nobody: set KEFU_MAIL_DOMAINS)'}", highlight=False)
    stop = threading.Event()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


@mail_app.command("poll")
def poll(loop: bool = typer.Option(False, "--loop", help="Keep polling every KEFU_IMAP_INTERVAL_SECONDS.")) -> None:
    """Take new mail from the IMAP mailbox (KEFU_IMAP_*): each message once, even across crashes."""
    import logging

    from kefu.channels.email.imap import poll_once
    from kefu.cli import console, err
    from kefu.core.errors import DomainError

    settings, factory, clock = _setup()
    log = logging.getLogger("kefu.mail")

    def taken(uid, result) -> None:
        status = result.status if result else "expunged"
        print(f"uid {uid}: {status}", flush=True)

    stop = threading.Event()
    while True:
        try:
            result = poll_once(factory, clock, settings, on_taken=taken)
            console.print(f"took {result.taken} message(s); last uid {result.last_uid}")
        except DomainError as exc:
            err.print(f"[red]cannot poll:[/red] {exc.message}")
            raise typer.Exit(2) from None
        except Exception as exc:  # the server or the database is away: say so, try again next round
            if not loop:
                err.print(f"[red]poll failed:[/red] {type(exc).__name__}: {exc}")
                raise typer.Exit(1) from None
            log.warning("poll failed: %s: %s", type(exc).__name__, exc)
        if not loop:
            return
        try:
            stop.wait(settings.imap_interval_seconds)
        except KeyboardInterrupt:
            return
