"""``kefu kb``: the knowledge base from the command line."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import Progress

kb_app = typer.Typer(help="The knowledge base (知识库): index, search.", no_args_is_help=True)


@kb_app.command("reindex")
def reindex() -> None:
    """Index every article again (after many dictionary changes or an import)."""
    from sqlalchemy import func, select

    from kefu.core.db import make_engine, make_sessionmaker
    from kefu.core.settings import get_settings
    from kefu.kb import index
    from kefu.kb.models import Article

    engine = make_engine(get_settings().database_url)
    try:
        with make_sessionmaker(engine)() as session, Progress(console=Console(stderr=True)) as progress:
            total = session.scalar(select(func.count()).select_from(Article)) or 0
            task = progress.add_task("indexing", total=total)
            n = index.reindex(session, progress=lambda k: progress.advance(task, k))
            session.commit()
        Console().print(f"[green]{n} articles indexed[/green]")
    finally:
        engine.dispose()


@kb_app.command("search")
def search(query: str, limit: int = typer.Option(5, min=1, max=50), platform: str | None = None) -> None:
    """Search the published articles as an agent would."""
    from kefu.core.db import make_engine, make_sessionmaker
    from kefu.core.settings import get_settings
    from kefu.kb import search as kb_search

    engine = make_engine(get_settings().database_url)
    try:
        with make_sessionmaker(engine)() as session:
            for hit in kb_search.search(session, query, limit=limit, platform=platform):
                Console().print(f"{hit.id:>6}  {hit.score:7.3f}  {hit.title}")
    finally:
        engine.dispose()
