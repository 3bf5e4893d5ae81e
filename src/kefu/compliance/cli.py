"""``kefu compliance check``: the etiquette checker on one message or a whole transcript file.

A transcript is one message a line, ``agent: …`` / ``customer: …`` / ``system: …`` (also 客服/坐席, 客户/顾客/用户,
系统, with ``:`` or ``：``); blank lines and lines starting with ``#`` are skipped. Exit code 1 if any
violation blocks sending (another customer's PII, internal data), 2 for a bad file or option, else 0.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import typer
from rich.console import Console
from rich.text import Text

from kefu.core.textfiles import TextFileError, read_chinese_text

compliance_app = typer.Typer(help="话术/礼仪: check agent messages against the etiquette rules.",
                             no_args_is_help=True)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # an error line is never broken

_ROLES = {"agent": "agent", "客服": "agent", "坐席": "agent", "customer": "customer", "客户": "customer",
          "顾客": "customer", "用户": "customer", "system": "system", "系统": "system"}
_LINE = re.compile(r"^\s*([^:：\s]+)\s*[:：]\s?(.*)$")


class TranscriptError(ValueError):
    pass


def read_transcript(path: Path) -> list[tuple[str, str]]:
    """``[(role, text)]`` from a transcript file; ``TranscriptError`` names the first bad line."""
    try:
        content = read_chinese_text(path)
    except TextFileError as exc:
        raise TranscriptError(str(exc)) from None
    messages = []
    for number, line in enumerate(content.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _LINE.match(line)
        role = _ROLES.get(m.group(1).lower()) if m else None
        if role is None:
            raise TranscriptError(f"{path}, line {number}: expected 'agent: …', 'customer: …' or 'system: …'")
        messages.append((role, m.group(2).strip()))
    return messages


def _show(label: str, text: str, violations) -> None:
    line = Text(text)
    for v in violations:
        if v.end > v.start:
            line.stylize("bold white on red" if v.blocking else "bold black on yellow", v.start, v.end)
    out.print(Text(label, style="bold"), line)
    for v in violations:
        mark = Text(" 阻止 " if v.blocking else " 提醒 ", style="white on red" if v.blocking else "black on yellow")
        where = f"[{v.start}:{v.end}]" + (f" “{text[v.start:v.end]}”" if v.end > v.start else "")
        row = Text.assemble("  ", mark, f" {v.rule} {where} {v.message}")
        if v.suggestion:
            row.append(f"\n      建议：{v.suggestion}", style="green")
        out.print(row)


@compliance_app.command("check")
def check_command(
    text: str | None = typer.Argument(None, help="One agent message to check."),
    file: Path | None = typer.Option(None, "--file", help="A transcript: each agent message is checked in its "
                                                         "conversation."),
    context_file: Path | None = typer.Option(None, "--context-file",
                                             help="A transcript of the conversation before TEXT."),
    closing: bool = typer.Option(False, "--closing", help="TEXT ends the conversation (needs a closing phrase)."),
    open_: bool = typer.Option(False, "--open", help="A --file conversation is still going on (no closing due)."),
    rules_file: Path | None = typer.Option(None, "--rules", help="A rules TOML replacing the packaged tables."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of highlighted text."),
) -> None:
    """Check an agent message (TEXT) or every agent message of a transcript (--file). Exit code 1 if any
    violation blocks sending."""
    from kefu.compliance import RulesError, blocked, check, check_transcript, load_rules

    if (text is None) == (file is None):
        err.print("give either TEXT or --file (not both)")
        raise typer.Exit(2)
    if file is not None and (context_file is not None or closing):
        err.print("--context-file and --closing go with TEXT; a --file transcript is its own context")
        raise typer.Exit(2)
    try:
        rules = load_rules(rules_file)
        if file is not None:
            messages = read_transcript(file)
            results = check_transcript(messages, rules=rules, ended=not open_)
        else:
            if not text.strip():
                err.print("TEXT is empty")
                raise typer.Exit(2)
            messages = read_transcript(context_file) if context_file else []
            found = check(text, messages, closing=closing, rules=rules)
            messages = [*messages, ("agent", text)]
            results = [(len(messages) - 1, found)] if found else []
    except (RulesError, TranscriptError) as exc:
        err.print(str(exc), soft_wrap=True, markup=False)
        raise typer.Exit(2) from None
    stop = any(blocked(vs) for _i, vs in results)
    if as_json:
        typer.echo(json.dumps({"messages": [{"index": i, "text": messages[i][1],
                                             "violations": [v.as_dict() for v in vs]} for i, vs in results],
                               "blocked": stop}, ensure_ascii=False, indent=2))
    else:
        for i, vs in results:
            _show(f"#{i + 1}" if file is not None else "", messages[i][1], vs)
        agent_count = sum(1 for role, _t in messages if role == "agent") if file is not None else 1
        total = sum(len(vs) for _i, vs in results)
        out.print(f"{agent_count} agent message(s) checked: {total} violation(s)"
                  + (", sending blocked" if stop else ""))
    if stop:
        raise typer.Exit(1)
