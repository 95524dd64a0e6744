"""The `baken` command.

baken                     Telegram when TELEGRAM_BOT_TOKEN is set, else the terminal chat
baken chat [--lang CODE]  the real dialogue in the terminal (no token needed)
baken run                 Telegram, long polling
baken webhook             Telegram, webhook server (POST /telegram, /healthz, /metrics)
baken web                 the web chat: a page, its WebSocket, /healthz, /metrics
baken whatsapp            WhatsApp, webhook server (GET/POST /whatsapp, /healthz, /metrics)
baken content check [--verbose]  validate the content; errors as path:line: message
                          (--verbose: the situation reader per language and option)
baken content graph       the flow as a Mermaid (or SVG) diagram
baken content schema      JSON Schema of the content files
baken content crisis TEXT what the crisis detector makes of TEXT (printed here only)
baken content understand TEXT [--lang L]  what baken reads in a typed story (printed here only)
baken content export LANG -o FILE.po   a language's texts as a PO file for translators
baken content import FILE.po           translations from a PO file into texts/<lang>.yaml
baken content mark-current LANG [KEY]  record that translations fit today's Dutch texts
baken report --prometheus URL --from DATE --to DATE [-o FILE] [--lang nl|en]  figures to publish
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.derived import DerivedCache
from bot.stores import StoreConfigError
from flows.loader import ContentError, Problem, default_content_dir


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="baken",
        description="Anonymous chat assistant about exploitation: chat, run on Telegram, "
        "or check content.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    chat = sub.add_parser("chat", help="the dialogue in this terminal (no token needed)")
    chat.add_argument(
        "--lang", default=None, metavar="CODE", help="start in this language (nl, en, pl, ar, ...)"
    )
    chat.add_argument(
        "--record",
        type=Path,
        metavar="FILE",
        help="save the conversation as a golden scenario (YAML)",
    )
    chat.add_argument("--watch", action="store_true", help="reload content when a file changes")

    run = sub.add_parser("run", help="run on Telegram with long polling")
    run.add_argument("--watch", action="store_true", help="reload content when a file changes")

    hook = sub.add_parser("webhook", help="run on Telegram behind a webhook")
    hook.add_argument("--host", default="127.0.0.1")
    hook.add_argument("--port", type=int, default=8080)
    hook.add_argument("--watch", action="store_true", help="reload content when a file changes")

    webchat = sub.add_parser("web", help="serve the web chat page (no token needed)")
    webchat.add_argument("--host", default="127.0.0.1")
    webchat.add_argument("--port", type=int, default=8000)
    webchat.add_argument(
        "--watch",
        action="store_true",
        help="reload content when a file changes, and restart open pages on it (live preview)",
    )

    wa = sub.add_parser("whatsapp", help="run on WhatsApp behind a webhook (off by default)")
    wa.add_argument("--host", default="127.0.0.1")
    wa.add_argument("--port", type=int, default=8081)
    wa.add_argument("--watch", action="store_true", help="reload content when a file changes")
    content = sub.add_parser("content", help="check, draw or describe the content")
    csub = content.add_subparsers(dest="content_command", metavar="ACTION", required=True)
    check = csub.add_parser("check", help="validate; exit 1 on errors")
    check.add_argument("dir", nargs="?", type=Path)
    check.add_argument(
        "--verbose",
        action="store_true",
        help="also the situation reader's held-out recall per language and option",
    )
    check.add_argument(
        "--today",
        type=dt.date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="judge how old service facts are on this day (default: today)",
    )
    graph = csub.add_parser("graph", help="the flow as a diagram")
    graph.add_argument("dir", nargs="?", type=Path)
    graph.add_argument("--format", choices=["mermaid", "svg", "dot"], default="mermaid")
    graph.add_argument("-o", "--output", type=Path)
    graph.add_argument("--flow", help="which flow (default: the default flow)")
    csub.add_parser("schema", help="JSON Schema of the content files")
    crisis = csub.add_parser(
        "crisis", help="what the crisis detector makes of a text (sure/possible/no, and why)"
    )
    crisis.add_argument("text", help="the text to judge; printed nowhere but here")
    crisis.add_argument("--dir", type=Path, help="content folder (default: the shipped one)")
    understand = csub.add_parser(
        "understand", help="what baken reads in a typed story (options ticked, and why)"
    )
    understand.add_argument("text", help="the text to read; printed nowhere but here")
    understand.add_argument("--lang", default="nl", help="language of the option labels shown")
    understand.add_argument("--dir", type=Path, help="content folder (default: the shipped one)")
    export = csub.add_parser(
        "export", help="a language's texts as a PO file, for a translator or an agency"
    )
    export.add_argument("lang", help="two-letter language code, like pl")
    export.add_argument("-o", "--output", type=Path, help="the PO file (default: print it)")
    export.add_argument("--dir", type=Path, help="content folder (default: the shipped one)")
    imp = csub.add_parser("import", help="translations from a PO file into texts/<lang>.yaml")
    imp.add_argument("po", type=Path, metavar="FILE.po")
    imp.add_argument("--dir", type=Path, help="content folder (default: the shipped one)")
    mark = csub.add_parser(
        "mark-current",
        help="record that LANG's translations (or only KEYs) fit today's Dutch texts",
    )
    mark.add_argument("lang", help="two-letter language code, like pl")
    mark.add_argument("keys", nargs="*", metavar="KEY", help="only these text keys")
    mark.add_argument("--dir", type=Path, help="content folder (default: the shipped one)")
    from bot.report import arguments

    arguments(sub.add_parser("report", help="a page of figures to publish, from Prometheus"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `baken` console script."""
    args = _parser().parse_args(argv)
    if args.command == "content":
        return _content(args)
    if args.command == "report":
        from bot.report import run as report

        return report(args)
    try:
        from bot.settings import Settings

        settings = Settings()
    except ValidationError as exc:
        for err in exc.errors(include_url=False, include_input=False):
            print(f"baken: setting {'.'.join(map(str, err['loc']))}: {err['msg']}", file=sys.stderr)
        return 2
    from bot.logs import configure

    configure(settings.BAKEN_LOG_LEVEL)
    command = args.command
    if command is None:
        command = "run" if settings.TELEGRAM_BOT_TOKEN else "chat"
        args = _parser().parse_args([command])
    try:
        if command == "chat":
            return asyncio.run(_chat(settings, args))
        if command == "web":
            return _web(settings, args)
        if command == "whatsapp":
            from bot.channels.whatsapp.app import run

            return run(settings, host=args.host, port=args.port, watch=args.watch)
        if settings.TELEGRAM_BOT_TOKEN is None:
            print(
                f"baken {command}: TELEGRAM_BOT_TOKEN is not set. Get a token from @BotFather, "
                "put it in .env or the environment, and try again (README: 'Put it on "
                "Telegram'). To try the dialogue without a token: baken chat",
                file=sys.stderr,
            )
            return 2
        if command == "run":
            return _telegram(settings, "run", args)
        return _telegram(settings, "webhook", args)
    except ContentError as exc:
        _print_problems(exc.problems, sys.stderr)
        return 1
    except StoreConfigError as exc:
        print(f"baken {command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


async def _chat(settings: object, args: argparse.Namespace) -> int:
    from bot.channels.console import ConsoleChat
    from bot.conversation import Conversations
    from bot.serving import ContentHolder, freeze_imports, install_reload
    from bot.settings import Settings
    from bot.stores.memory import MemoryStore

    assert isinstance(settings, Settings)
    freeze_imports()
    holder = ContentHolder(settings.BAKEN_CONTENT_DIR, cache=DerivedCache(settings.BAKEN_CACHE_DIR))
    languages = holder.engine.content.languages
    if args.lang is not None and args.lang not in languages:
        print(
            f"baken chat: no texts for language {args.lang!r}; the content has "
            f"{', '.join(languages)}",
            file=sys.stderr,
        )
        return 2
    core = Conversations(holder, MemoryStore(settings.BAKEN_SESSION_TTL))
    install_reload(holder, watch=args.watch)
    await ConsoleChat(core).run(sys.stdin, lang=args.lang, record=args.record)
    return 0


def _web(settings: object, args: argparse.Namespace) -> int:
    """``baken web``: the web chat until stopped; say what went wrong."""
    from bot.channels.web.app import build, serve_web
    from bot.serving import freeze_imports
    from bot.settings import Settings, web_problems

    assert isinstance(settings, Settings)
    problems = web_problems(settings, host=args.host)
    if problems:
        for problem in problems:
            print(f"baken web: {problem}", file=sys.stderr)
        why = (
            "BAKEN_WEB_PUBLIC_URL is set"
            if settings.BAKEN_WEB_PUBLIC_URL
            else f"--host {args.host}"
        )
        print(
            f"baken web: not started. Served to others ({why}), the web chat needs these "
            "settings chosen and in agreement (README: 'Put the web chat online')",
            file=sys.stderr,
        )
        return 2
    freeze_imports()
    chat = build(settings, watch=args.watch)
    try:
        asyncio.run(serve_web(chat, host=args.host, port=args.port, watch=args.watch))
    except OSError as exc:
        print(f"baken web: {exc.strerror or type(exc).__name__}", file=sys.stderr)
        return 1
    return 0


def _telegram(settings: object, command: str, args: argparse.Namespace) -> int:
    """``baken run`` and ``baken webhook``: build, run until stopped, say what went wrong."""
    from telegram.error import InvalidToken, TelegramError

    from bot.channels.telegram.app import (
        build,
        serve_polling,
        serve_webhook,
        webhook_settings_problem,
    )
    from bot.serving import freeze_imports
    from bot.settings import Settings

    assert isinstance(settings, Settings)
    if command == "webhook":
        problem = webhook_settings_problem(settings)
        if problem is not None:
            print(f"baken webhook: {problem}", file=sys.stderr)
            return 2
    # PTB 22 reports durations as timedelta only when asked; baken reads none, but this
    # keeps deprecation warnings out of the logs.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    freeze_imports()
    tbot = build(settings, webhook=command == "webhook")
    main: Coroutine[Any, Any, None]
    if command == "run":
        main = serve_polling(tbot, watch=args.watch)
    else:
        main = serve_webhook(tbot, host=args.host, port=args.port, watch=args.watch)
    try:
        asyncio.run(main)
    except InvalidToken:
        print(
            f"baken {command}: Telegram refused TELEGRAM_BOT_TOKEN. Copy the token from "
            "@BotFather again (README: 'Put it on Telegram').",
            file=sys.stderr,
        )
        return 2
    except TelegramError as exc:
        print(
            f"baken {command}: could not reach the Bot API ({type(exc).__name__}). Check the "
            "network and TELEGRAM_API_BASE_URL.",
            file=sys.stderr,
        )
        return 1
    except OSError as exc:
        print(f"baken {command}: {exc.strerror or type(exc).__name__}", file=sys.stderr)
        return 1
    return 0


def _print_problems(problems: Sequence[Problem], stream: object) -> None:
    for problem in problems:
        print(problem, file=stream)  # type: ignore[call-overload]


def _content(args: argparse.Namespace) -> int:
    if args.content_command == "schema":
        print(json.dumps(content_schema(), indent=2, ensure_ascii=False))
        return 0
    from bot.serving import read

    directory: Path = args.dir or Path(os.environ.get("BAKEN_CONTENT_DIR") or default_content_dir())
    if args.content_command in {"export", "import", "mark-current"}:
        from bot.translations.command import command

        return command(args, directory)
    content, problems = read(directory, today=getattr(args, "today", None))
    if args.content_command == "crisis":
        if content is None:
            _print_problems(problems, sys.stderr)
            return 1
        from bot import explain

        return explain.crisis(content, args.text)
    if args.content_command == "understand":
        if content is None:
            _print_problems(problems, sys.stderr)
            return 1
        from bot import explain

        return explain.understand(content, args.text, args.lang)
    if args.content_command == "check":
        _print_problems(problems, sys.stdout)
        errors = sum(p.severity == "error" for p in problems)
        warnings = len(problems) - errors
        if content is None:
            print(f"{errors} error(s), {warnings} warning(s): the content is not valid.")
            return 1
        from bot import explain
        from flows.understanding.crisis_check import check_fresh, describe_fresh

        readers = explain.readers(content)
        lines, missed, passed = explain.check(content, readers, per_option=args.verbose)
        for line in lines:
            print(line)
        # Fresh examples are a measurement, not a fault in the content: listed, not counted.
        fresh_report, fresh_notes = check_fresh(content, readers.crisis)
        for line in describe_fresh(fresh_report):
            print(line)
        for note in fresh_notes:
            print(f"  {note.file}:{note.line}: {note.message}")
        _print_problems(missed, sys.stdout)
        if not passed:
            print(
                f"{len(missed)} reader problem(s): every held-out crisis example must be caught, "
                "at most 2% of held-out 'none' examples may trigger anything, and at most 5% "
                "of the situation reader's ticks on held-out stories may be wrong. Teach them "
                "with new *training* examples or concepts (content/README.md)."
            )
            return 1
        states = sum(len(f.states) for f in content.flows.values())
        reviews = ", ".join(
            f"{lang} {content.reviews[lang].review}"
            + (
                f" ({content.reviews[lang].reviewed_on}, {content.reviews[lang].reviewed_by})"
                if content.reviews[lang].review == "reviewed"
                else ""
            )
            for lang in content.languages
            if lang in content.reviews
        )
        print(f"translations: {reviews} (draft: not yet read by a native speaker; see README)")
        print(
            f"content ok: {len(content.flows)} flow(s), {states} states, "
            f"{len(content.services)} services, languages {', '.join(content.languages)}; "
            f"{warnings} warning(s); version {content.version}"
        )
        return 0
    if content is None:
        _print_problems(problems, sys.stderr)
        return 1
    from flows.diagram import dot, mermaid

    flow = content.flows[args.flow or content.default_flow]
    if args.format == "mermaid":
        text = mermaid(flow)
    elif args.format == "dot":
        text = dot(flow)
    else:
        exe = shutil.which("dot")
        if exe is None:
            print(
                "baken: SVG needs Graphviz (the `dot` program); install it, or use "
                "--format mermaid",
                file=sys.stderr,
            )
            return 1
        text = subprocess.run(  # noqa: S603 - fixed program, our own DOT text on stdin
            [exe, "-Tsvg"], input=dot(flow), capture_output=True, text=True, check=True
        ).stdout
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def content_schema() -> dict[str, object]:
    """One JSON Schema document with a definition per content file."""
    from pydantic import TypeAdapter

    from flows.schema import (
        CrisisConceptsFile,
        CrisisExamplesFile,
        CrisisFile,
        Flow,
        IntentsFile,
        Screens,
        ServicesFile,
        SituationConceptsFile,
        SituationExamplesFile,
        SynonymsFile,
    )

    parts = {
        "flow": Flow.model_json_schema(),
        "services": ServicesFile.model_json_schema(),
        "screens": Screens.model_json_schema(),
        "crisis": CrisisFile.model_json_schema(),
        "crisis_concepts": CrisisConceptsFile.model_json_schema(),
        "crisis_examples": CrisisExamplesFile.model_json_schema(),
        "situation_concepts": SituationConceptsFile.model_json_schema(),
        "situation_examples": SituationExamplesFile.model_json_schema(),
        "intents": IntentsFile.model_json_schema(),
        "synonyms": TypeAdapter(SynonymsFile).json_schema(),
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "baken content",
        "description": "flows/*.yaml: flow; services.yaml: services; screens.yaml: screens; "
        "phrases/crisis.yaml: crisis; phrases/crisis-concepts.yaml: crisis_concepts; "
        "phrases/crisis-examples/<lang>.yaml: crisis_examples; phrases/situation-concepts.yaml: "
        "situation_concepts; phrases/situation-examples/<lang>.yaml: situation_examples; "
        "phrases/intents.yaml: intents; "
        "phrases/synonyms.yaml: synonyms. texts/<lang>.yaml: nested key: text pairs.",
        "$defs": parts,
    }
