"""The `icc-assistant` command line: ingest, sync, stats, scores, inspect, search, ask, brief,
gaps, answers (list, export, import), serve, mcp."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from typer import _click as click
from typer.core import TyperCommand, TyperGroup

from icc_assistant import __version__
from icc_assistant.cli_filters import (
    CityOpt,
    CountryOpt,
    LanguageOpt,
    TopicOpt,
    TypeOpt,
    YearFromOpt,
    YearToOpt,
    filters_from_options,
)
from icc_assistant.errors import ConfigurationError, ICCAssistantError, InvalidQuestionError

# Each command imports what it needs when it runs: `--help` and the light commands do not pay
# for pydantic models, structlog or rich's tables and progress bars, and none of them for the
# others' dependencies (measured with `python -X importtime`).
if TYPE_CHECKING:
    from icc_assistant.documents import Answer, Turn
    from icc_assistant.settings import Settings
    from icc_assistant.sync import SyncJob, SyncProgress, SyncSummary


class _FlagsWithoutType:
    """Help that shows no `<bool>` beside a flag (--json, --prune, --help): a flag takes no
    value, so there is no type to show."""

    def get_params(self, ctx: click.Context) -> list[click.Parameter]:
        params: list[click.Parameter] = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
        return params


class _Command(_FlagsWithoutType, TyperCommand):
    pass


class _Group(_FlagsWithoutType, TyperGroup):
    pass


# Markdown help joins a docstring's wrapped lines into paragraphs, where rich markup would keep
# each source line break and cut sentences in the middle.
app = typer.Typer(
    name="icc-assistant",
    help="Multilingual, cited answers over Intercultural Cities (ICC) material.",
    cls=_Group,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)
# Lines are wrapped to the width of a terminal only: into a file or a pipe they stay whole, so
# that a Markdown link or a URL is never cut (rich would wrap them at 80 columns).
out = Console(soft_wrap=not sys.stdout.isatty())
err = Console(stderr=True, soft_wrap=not sys.stderr.isatty())

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", envvar="ICC_DATA_DIR", help="Directory holding the index."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _settings(data_dir: Path | None) -> Settings:
    from pydantic import ValidationError

    from icc_assistant.settings import Settings

    try:
        settings = Settings()
    except ValidationError as exc:
        raise ConfigurationError(f"Invalid configuration: {exc}") from exc
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    return settings


def _version(value: bool) -> None:
    if value:
        out.print(f"icc-assistant {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """Multilingual, cited answers over Intercultural Cities (ICC) material."""


@app.command(cls=_Command)
def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders; default: ICC_CORPUS_DIR.")
    ] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Drop the index first.")] = False,
    prune: Annotated[
        bool, typer.Option("--prune", help="Remove documents no longer among PATHS.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Ingest documents into the index; unchanged files are skipped.

    Example: icc-assistant ingest corpus --prune
    """
    import structlog
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    from rich.table import Table

    from icc_assistant.embeddings import create_embedder
    from icc_assistant.index import IndexStore
    from icc_assistant.ingest import TextLimits, collect_paths, load_files

    settings = _settings(data_dir)
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))  # stdout: results
    files, missing = collect_paths(paths or [settings.corpus_dir])
    embedder = create_embedder(settings)
    store = IndexStore.open(settings, embedder, allow_rebuild=rebuild)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err
    ) as progress:
        task = progress.add_task("ingesting", total=len(files))

        def advance(_: Any) -> None:
            progress.advance(task)

        report = store.sync(
            load_files(files, limits=TextLimits.from_settings(settings)),
            prune=prune,
            rebuild=rebuild,
            on_file=advance,
        )
    table = Table("file", "status", "chunks", "message", title="Ingest")
    for error in missing:
        table.add_row(error.source, "[red]failed", "", str(error))
    for result in report.files:
        colour = "red" if result.status == "failed" else "green"
        table.add_row(
            result.source, f"[{colour}]{result.status}", str(result.chunks), result.message or ""
        )
    out.print(table)
    failed = len(missing) + sum(1 for r in report.files if r.status == "failed")
    if failed:
        err.print(f"[red]{failed} file(s) failed; the others were ingested.")
        raise typer.Exit(1)


@app.command(cls=_Command)
def sync(
    urls: Annotated[
        list[str] | None, typer.Argument(help="Start pages; default: ICC_SYNC_URLS.")
    ] = None,
    allow: Annotated[
        list[str] | None,
        typer.Option(
            "--allow",
            help="URL prefix to stay within (repeat it); default: ICC_SYNC_ALLOW, else each"
            " start page's folder.",
        ),
    ] = None,
    max_pages: Annotated[
        int | None,
        typer.Option(
            "--max-pages", min=1, envvar="ICC_SYNC_MAX_PAGES", help="Most URLs to request."
        ),
    ] = None,
    delay: Annotated[
        float | None,
        typer.Option(
            "--delay",
            min=0,
            envvar="ICC_SYNC_DELAY",
            help="Seconds between requests to one host; robots.txt's Crawl-delay may raise it.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Fetch and compare; change neither index nor state.")
    ] = False,
    prune: Annotated[
        bool, typer.Option("--prune", help="Remove documents gone (404/410) on two runs in a row.")
    ] = False,
    as_json: JsonOpt = False,
    data_dir: DataDir = None,
) -> None:
    """Crawl the ICC website politely and index its pages and PDFs; unchanged ones are skipped.

    A second run asks only for what changed (ETag, Last-Modified); a run stopped at any point
    (even kill -9) resumes where it stopped when started again with the same options.

    A response that cannot be used (a mailto: redirect, a charset of no web encoding, an
    unreadable Retry-After or validator) is counted and skipped; a failed run records why.

    Example: icc-assistant sync https://www.coe.int/en/web/interculturalcities/good-practice
    --allow https://www.coe.int/en/web/interculturalcities --allow https://rm.coe.int/
    """
    import structlog

    from icc_assistant.embeddings import create_embedder
    from icc_assistant.index import IndexStore
    from icc_assistant.sync import SyncJob, SyncOptions

    settings = _settings(data_dir)
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))  # stdout: results
    options = SyncOptions(
        urls=tuple(urls or settings.sync_urls),
        allow=tuple(allow or settings.sync_allow),
        max_pages=max_pages or settings.sync_max_pages,
        delay=settings.sync_delay if delay is None else delay,
        prune=prune,
        dry_run=dry_run,
    )
    if not settings.sync_contact and not as_json:
        err.print("[yellow]ICC_SYNC_CONTACT is not set: site owners cannot tell who is crawling.")
    store = IndexStore.open(settings, create_embedder(settings))
    job = SyncJob(settings, store, options)
    if job.resumed and not as_json:
        err.print(f"resuming run {job.run_id}, which was stopped before it finished")
    if as_json:
        summary = job.run()
        out.print_json(summary.model_dump_json())
    else:
        summary = _run_with_progress(job)
        _print_sync(summary)
    if not summary.reached_site:
        err.print("[red]Nothing could be fetched: check the URLs and the network.")
        raise typer.Exit(1)


def _run_with_progress(job: SyncJob) -> SyncSummary:
    """Run a sync under a progress bar: URLs visited of those found so far."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[url]}", style="dim"),
        console=err,
    ) as progress:
        task = progress.add_task("syncing", total=None, url="")

        def advance(state: SyncProgress) -> None:
            progress.update(task, completed=state.visited, total=state.found, url=state.url[-60:])

        return job.run(on_progress=advance)


def _print_sync(summary: SyncSummary) -> None:
    from rich.table import Table

    counts = summary.counts
    title = f"Sync run {summary.run_id}: {summary.status}" + (
        " (dry run: nothing changed)" if summary.options.dry_run else ""
    )
    table = Table("", "count", title=title)
    rows = [
        ("fetched", counts.fetched), ("not modified (304)", counts.not_modified),
        ("added", counts.added), ("updated", counts.updated), ("unchanged", counts.unchanged),
        ("removed", counts.removed), ("gone (404/410)", counts.gone),
        ("list pages (followed)", counts.lists), ("redirects", counts.redirects),
        ("skipped by robots.txt", counts.robots), ("skipped traps", counts.traps),
        ("skipped outside scope", counts.outside), ("skipped type/size", counts.skipped),
        ("skipped malformed links and pages", counts.malformed),
        ("links over the caps", counts.dropped), ("errors", counts.errors),
        ("unreadable Retry-After", counts.unreadable_retry),
        ("validators dropped", counts.bad_validators), ("texts embedded", counts.embedded),
        ("requests", counts.requests),
    ]  # fmt: skip
    for name, value in rows:
        table.add_row(name, str(value))
    out.print(table)
    for issue in summary.errors[:20]:
        out.print(f"[red]error[/] {issue.url}: {issue.message}", markup=True, highlight=False)
    if not summary.complete and summary.status == "finished":
        out.print(f"stopped at --max-pages {summary.options.max_pages}; unvisited pages wait.")


@app.command(cls=_Command)
def stats(data_dir: DataDir = None, as_json: JsonOpt = False) -> None:
    """Show what the index holds, by city, country, type, language and topic.

    Example: icc-assistant stats --json
    """
    from icc_assistant.embeddings import create_embedder
    from icc_assistant.index import IndexStore

    settings = _settings(data_dir)
    summary = IndexStore.open(settings, create_embedder(settings)).stats()
    data = summary.model_dump() if hasattr(summary, "model_dump") else vars(summary)
    if as_json:
        out.print_json(json.dumps(data))
        return
    out.print(f"documents: {data['documents']}  chunks: {data['chunks']}")
    calibration = data.pop("calibration", {})
    for facet, counts in data.items():
        if isinstance(counts, dict):
            listing = ", ".join(f"{k} ({v})" for k, v in sorted(counts.items()))
            out.print(f"{facet}: {listing or '-'}")
    if calibration:
        out.print(
            f"language bias: {calibration['language_bias']:.3f}  "
            f"evidence threshold: {calibration['gate_threshold']:.3f} "
            f"({int(calibration['probes'])} off-topic probes)"
        )


SCORE_COLUMNS = ("city", "year", "indicator", "label", "value", "unit", "out_of",
                 "sample_value", "doc_id", "chunk_id", "quote")  # fmt: skip


@app.command(cls=_Command)
def scores(
    city: Annotated[str | None, typer.Option("--city", help="A city, by any of its names.")] = None,
    indicator: Annotated[
        str | None,
        typer.Option("--indicator", help="An indicator id or published name: education, rank."),
    ] = None,
    year: Annotated[int | None, typer.Option("--year", help="The report's year.")] = None,
    doc_id: Annotated[
        str | None,
        typer.Option("--doc", help="Only the rows read from this document (its doc_id)."),
    ] = None,
    data_dir: DataDir = None,
    as_json: JsonOpt = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of text.")] = False,
) -> None:
    """Show the ICC Index results read from the Index reports, each with its source.

    Example: icc-assistant scores --city Ansan --indicator education
    """
    from icc_assistant.embeddings import create_embedder
    from icc_assistant.index import IndexStore
    from icc_assistant.retrieve.scores import find_scores

    settings = _settings(data_dir)
    store = IndexStore.open(settings, create_embedder(settings))
    rows = find_scores(
        store.catalog.scores, city=city, indicator=indicator, year=year, doc_id=doc_id
    )
    if as_json:
        out.print_json(json.dumps([row.model_dump(mode="json") for row in rows]))
    elif as_csv:
        _print_score_csv([row.model_dump(mode="json") for row in rows])
    else:
        for row in rows:
            sample = f" (sample {row.sample_value:g})" if row.sample_value is not None else ""
            scale = f" of {row.out_of}" if row.out_of else ""
            out.print(
                f"{row.city or '-'} {row.year or '-'} {row.indicator}: {row.value:g} {row.unit}"
                f"{scale}{sample}  [{row.doc_id}]",
                markup=False, highlight=False,
            )  # fmt: skip
        if not rows:
            err.print("No Index results match.")


def _print_score_csv(rows: list[dict[str, Any]]) -> None:
    import csv

    writer = csv.DictWriter(sys.stdout, fieldnames=SCORE_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)


@app.command(cls=_Command)
def inspect(
    file: Annotated[Path, typer.Argument(help="A document to check, not ingested.")],
    as_json: JsonOpt = False,
) -> None:
    """Show how a file is cleaned, described and chunked, without indexing it.

    Example: icc-assistant inspect corpus/ansan-democratic-citizenship.txt
    """
    from icc_assistant.ingest import TextLimits, load_document

    doc = load_document(file, limits=TextLimits.from_settings(_settings(None)))
    if as_json:
        out.print_json(doc.model_dump_json())
        return
    out.rule("metadata")
    for key, value in doc.meta.model_dump().items():
        out.print(f"[bold]{key}[/]: {value}")
    out.rule("cleaned text")
    out.print(doc.text, markup=False, highlight=False)
    out.rule(f"{len(doc.chunks)} chunks")
    for chunk in doc.chunks:
        flags = " recommendation" if chunk.is_recommendation else ""
        others = f" mentions: {', '.join(chunk.mentioned_cities)}" if chunk.mentioned_cities else ""
        out.print(f"[bold]#{chunk.ordinal}[/] [{chunk.section}]{flags}{others}")
        out.print(chunk.text, markup=False, highlight=False)


HistoryOpt = Annotated[
    Path | None,
    typer.Option("--history", help="JSON file of earlier turns ([{role, content}, ...])."),
]


@app.command(cls=_Command)
def search(
    question: Annotated[str, typer.Argument(help="What to look for, in any language.")],
    city: CityOpt = None,
    country: CountryOpt = None,
    year_from: YearFromOpt = None,
    year_to: YearToOpt = None,
    doc_type: TypeOpt = None,
    topic: TopicOpt = None,
    language: LanguageOpt = None,
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="How many passages.")] = 8,
    history: HistoryOpt = None,
    as_json: JsonOpt = False,
    data_dir: DataDir = None,
) -> None:
    """Print the passages retrieval ranks for a question (a follow-up with --history is
    searched as the chat searches it) and the evidence gate's decision.

    Example: icc-assistant search "campagnes anti-rumeurs" --k 5
    """
    from icc_assistant.assistant import Assistant

    filters = filters_from_options(city, country, year_from, year_to, doc_type, topic, language)
    result = Assistant.open(_settings(data_dir)).search(
        question, filters=filters, k=k, history=_read_history(history)
    )
    if as_json:
        out.print_json(result.model_dump_json())
        return
    gate = result.gate
    score = f"{gate.score:.3f}" if gate and gate.score is not None else "-"
    threshold = f"{gate.threshold:.3f}" if gate else "-"
    out.print(
        f"language: {result.language}  status: {result.status}  "
        f"relevance: {score} (threshold {threshold})  cities: {', '.join(result.cities) or '-'}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    shown = result.passages or result.nearest
    for rank, passage in enumerate(shown, start=1):
        doc = passage.document
        out.print(
            f"[bold]{rank}. {passage.score:.3f}[/] {doc.city or '-'} | {doc.title} | "
            f"{passage.chunk.section or '-'} | {doc.url or doc.source}",
            highlight=False,
        )
        out.print(passage.chunk.text[:400], markup=False, highlight=False)


def _read_history(path: Path | None) -> tuple[Turn, ...]:
    from icc_assistant.documents import Turn

    if path is None:
        return ()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return tuple(Turn.model_validate(turn) for turn in raw)
    except (OSError, ValueError, TypeError) as exc:
        raise InvalidQuestionError(
            f"{path} is not a JSON list of {{role, content}} turns: {exc}"
        ) from exc


@app.command(cls=_Command)
def ask(
    question: Annotated[str, typer.Argument(help="The question, in any language.")],
    history: HistoryOpt = None,
    city: CityOpt = None,
    country: CountryOpt = None,
    year_from: YearFromOpt = None,
    year_to: YearToOpt = None,
    doc_type: TypeOpt = None,
    topic: TopicOpt = None,
    language: LanguageOpt = None,
    as_json: JsonOpt = False,
    data_dir: DataDir = None,
) -> None:
    """Answer a question with numbered citations (a model if ICC_LLM_BASE_URL is set).

    Example: icc-assistant ask "Comment les villes luttent-elles contre les rumeurs ?"
    """
    from icc_assistant.answer import AnswerRequest
    from icc_assistant.assistant import Assistant

    filters = filters_from_options(city, country, year_from, year_to, doc_type, topic, language)
    request = AnswerRequest(question=question, history=_read_history(history))
    answer = Assistant.open(_settings(data_dir)).ask(request, filters=filters)
    if as_json:
        out.print_json(answer.model_dump_json())
        return
    if answer.notice:
        err.print(f"[yellow]{answer.notice}")
    out.print(answer.text, markup=False, highlight=False)
    for line in _source_lines(answer):
        out.print(line, markup=False, highlight=False)


def _source_lines(answer: Answer) -> list[str]:
    """One line per citation: number, title, place and year, section, and the link that opens
    the document at the sentences quoted (its file's name when it has no public address)."""
    from icc_assistant.fragments import is_pdf, quote_link

    groups = {group.citation: group for group in answer.evidence}
    lines = []
    for c in answer.citations:
        where = ", ".join(str(x) for x in (c.city, c.country, c.year) if x)
        group = groups.get(c.number)
        if group is not None and group.url:
            link = group.quoted_url() or c.source
        elif c.url:
            quotes = c.quote.split(" … ") if c.quote else []
            link = quote_link(c.url, quotes, pdf=is_pdf(c.url, c.source))
        else:
            link = c.source
        parts = [f"[{c.number}] {c.title}" + (f" ({where})" if where else ""), c.section, link]
        lines.append(" - ".join(part for part in parts if part))
    return lines


BRIEF_FORMATS = ("md", "html", "docx", "json")


@app.command(cls=_Command)
def brief(
    question: Annotated[str, typer.Argument(help="The member's enquiry, in any language.")],
    lang: Annotated[
        str | None, typer.Option("--lang", help="The note's language (ISO 639-1, e.g. fr).")
    ] = None,
    city: CityOpt = None,
    country: CountryOpt = None,
    year_from: YearFromOpt = None,
    year_to: YearToOpt = None,
    doc_type: TypeOpt = None,
    topic: TopicOpt = None,
    language: LanguageOpt = None,
    fmt: Annotated[
        str, typer.Option("--format", help="md, html, docx (needs --out) or json.")
    ] = "md",
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write the note here instead of stdout.")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Write a briefing note for a member's enquiry: summary, practices by city, ICC
    recommendations, numbered sources with links, the state of the material.

    Example: icc-assistant brief "Comment les villes mènent-elles des campagnes anti-rumeurs ?"
    --format docx --out note.docx
    """
    import re

    from icc_assistant.answer import AnswerRequest
    from icc_assistant.assistant import Assistant
    from icc_assistant.brief import build_brief, render_brief

    if fmt not in BRIEF_FORMATS:
        raise typer.BadParameter(
            f"{fmt!r} is not a format; use one of {', '.join(BRIEF_FORMATS)}.",
            param_hint="--format",
        )
    if fmt == "docx" and out_file is None:
        raise typer.BadParameter(
            "a DOCX note is a binary file: give --out FILE to write it.", param_hint="--format"
        )
    if lang is not None and not re.fullmatch(r"[a-z]{2}", lang):
        raise typer.BadParameter(f"{lang!r} is not a two-letter code.", param_hint="--lang")
    if not question.strip():
        raise InvalidQuestionError("The enquiry is empty: type what the member asks.")
    filters = filters_from_options(city, country, year_from, year_to, doc_type, topic, language)
    request = AnswerRequest(question=question.strip(), language=lang)
    note = build_brief(Assistant.open(_settings(data_dir)), request, filters)
    data = render_brief(note, fmt)
    if out_file is None:
        sys.stdout.write(data.decode("utf-8"))
        return
    try:
        out_file.write_bytes(data)
    except OSError as exc:
        raise ConfigurationError(f"Cannot write {out_file}: {exc}") from exc
    err.print(f"wrote {out_file} ({len(data)} bytes)", markup=False, highlight=False)


DayOpt = Annotated[str | None, typer.Option(help="A day, YYYY-MM-DD (UTC), included.")]


@app.command(cls=_Command)
def gaps(
    since: DayOpt = None,
    until: DayOpt = None,
    as_json: JsonOpt = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print one CSV row per gap.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Report what members asked that the material did not answer, and answers rated down.

    Counts by kind, language, city, topic and day; examples where text is kept (ICC_GAPS_KEEP_TEXT).

    Example: icc-assistant gaps --since 2026-01-01 --csv > gaps.csv
    """
    from icc_assistant.errors import InvalidRequestError
    from icc_assistant.gaps import GapStore, check_range, gap_report, parse_day, to_csv

    if as_json and as_csv:
        raise InvalidRequestError("Choose one of --json and --csv.")
    first, last = parse_day(since, "--since"), parse_day(until, "--until")
    store = GapStore.from_settings(_settings(data_dir))
    if as_csv:
        check_range(first, last)
        sys.stdout.write(to_csv(store.gaps(first, last)))
        return
    report = gap_report(store, first, last)
    if as_json:
        out.print_json(report.model_dump_json())
        return
    _print_gap_report(report)


def _print_gap_report(report: Any) -> None:
    from rich.table import Table

    span = f"{report.since or 'the start'} to {report.until or 'today'}"
    kinds = ", ".join(f"{kind} {n}" for kind, n in report.by_kind.items())
    out.print(
        f"{report.total} gaps from {span} ({kinds}); kept {report.retention_days} days; "
        f"{_text_kept(report.keeps_text, len(report.examples))}",
        markup=False,
        highlight=False,
    )
    for title, rows in (
        ("Language", report.by_language),
        ("City", report.by_city),
        ("Topic", report.by_topic),
    ):
        if rows:
            table = Table(title=f"By {title.lower()}")
            table.add_column(title)
            table.add_column("Gaps", justify="right")
            for row in rows:
                table.add_row(row.key, str(row.count))
            out.print(table)
    if report.by_day:
        table = Table(title="By day")
        table.add_column("Day")
        table.add_column("Gaps", justify="right")
        for day in report.by_day:
            table.add_row(day.day.isoformat(), str(day.count))
        out.print(table)
    for example in report.examples:
        out.print(
            f"{example.day} {example.kind} {example.language or '-'}: {example.text}",
            markup=False,
            highlight=False,
        )


def _text_kept(keeps_text: bool, examples: int) -> str:
    """What the header says of question text: ICC_GAPS_KEEP_TEXT as this command sees it, and
    the examples the store holds (recorded by a service that kept text, or before)."""
    if keeps_text:
        return "question text kept, scrubbed (ICC_GAPS_KEEP_TEXT)"
    if examples:
        return (
            f"question text not kept by this command's settings (ICC_GAPS_KEEP_TEXT off), "
            f"but {examples} examples below were recorded with it kept"
        )
    return "question text not kept (ICC_GAPS_KEEP_TEXT off)"


answers_app = typer.Typer(
    name="answers",
    help="The approved answers: the ICC secretariat's reviewed replies, served first.",
    cls=_Group,
    no_args_is_help=True,
    rich_markup_mode="markdown",
)
app.add_typer(answers_app)


def _approved_store(data_dir: Path | None) -> Any:
    from icc_assistant.approved.service import FILE_NAME
    from icc_assistant.approved.store import ApprovedStore

    return ApprovedStore(_settings(data_dir).data_dir / FILE_NAME)


@answers_app.command("list", cls=_Command)
def answers_list(data_dir: DataDir = None, as_json: JsonOpt = False) -> None:
    """List the approved answers, newest first: id, state, language, review-by, question.

    Example: icc-assistant answers list --json
    """
    answers = _approved_store(data_dir).answers()
    if as_json:
        out.print_json(json.dumps([a.model_dump(mode="json") for a in answers]))
        return
    from rich.table import Table

    table = Table("id", "active", "language", "approved", "review by", "question")
    for a in answers:
        review = a.review_by.isoformat() if a.review_by else ""
        table.add_row(a.id, "yes" if a.active else "retired", a.language,
                      a.approved_at.isoformat(), review, a.question)  # fmt: skip
    out.print(table)
    out.print(f"{len(answers)} approved answers")


@answers_app.command("export", cls=_Command)
def answers_export(
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV, one answer a row.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Print every approved answer as JSON (or CSV), for a backup or another deployment.

    Example: icc-assistant answers export --csv > answers.csv
    """
    from icc_assistant.approved import to_csv, to_json

    answers = _approved_store(data_dir).answers()
    sys.stdout.write(to_csv(answers) if as_csv else to_json(answers))


@answers_app.command("import", cls=_Command)
def answers_import(
    path: Annotated[Path, typer.Argument(help="A JSON or CSV export (by its extension).")],
    data_dir: DataDir = None,
) -> None:
    """Import an export: answers whose id is stored are updated, the others created. Every
    answer is checked first: one bad answer imports nothing. Gaps the answers now answer are
    marked.

    Example: icc-assistant answers import answers.csv
    """
    from icc_assistant.approved import from_csv, from_json
    from icc_assistant.assistant import Assistant
    from icc_assistant.errors import InvalidRequestError

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidRequestError(f"{path} cannot be read as UTF-8 text: {exc}") from exc
    if path.suffix.lower() == ".csv":
        items = from_csv(text)
    else:
        try:
            items = from_json(json.loads(text))
        except json.JSONDecodeError as exc:
            message = f"{path} is not JSON ({exc.msg}); a CSV export's name ends in .csv."
            raise InvalidRequestError(message) from exc
    assistant = Assistant.open(_settings(data_dir))
    assert assistant.approved is not None
    created, updated = assistant.approved.import_answers(items)
    answered = assistant.mark_answered_gaps()
    out.print(f"{created} created, {updated} updated; {answered} gaps answered")


@app.command(cls=_Command)
def serve(
    host: Annotated[str | None, typer.Option(envvar="ICC_HOST", help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(envvar="ICC_PORT", help="Port to bind.")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="Worker processes; >1 needs ICC_CHROMA_HOST. They share each client's rate"
            " limit (ICC_RATE_LIMIT_STORE).",
        ),
    ] = 1,
    admin_key_file: Annotated[
        Path | None,
        typer.Option(
            "--admin-key-file",
            envvar="ICC_ADMIN_KEY_FILE",
            help="File of admin keys, one a line: opens the console at /admin without putting"
            " a key in the environment.",
        ),
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Serve the HTTP API, the chat widget and the admin console (/admin).

    The console needs an admin key: ICC_ADMIN_KEYS, or a file given to --admin-key-file
    (e.g. made with python3 -c "import secrets; print(secrets.token_urlsafe(32))" > admin.key).

    Example: icc-assistant serve --port 8000 --admin-key-file admin.key
    """
    import os

    from icc_assistant.api.server import run_server

    if admin_key_file is not None:  # read by Settings, here and in each --workers process
        os.environ["ICC_ADMIN_KEY_FILE"] = str(admin_key_file)
    settings = _settings(data_dir)
    updates = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    run_server(settings.model_copy(update=updates), workers=workers)


@app.command(cls=_Command)
def mcp(data_dir: DataDir = None) -> None:
    """Serve the assistant's MCP tools over stdio, for clients that launch a command.

    Example: icc-assistant mcp --data-dir /srv/icc/data
    """
    from icc_assistant.api.mcp import run_stdio

    run_stdio(_settings(data_dir))


def main() -> None:
    """Console-script entry point: domain errors become a message and exit code 1."""
    try:
        app()
    except ICCAssistantError as exc:
        err.print(f"[red]error:[/] {exc}")
        sys.exit(1)
