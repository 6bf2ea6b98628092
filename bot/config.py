"""Settings: environment variables (and a `.env` file), names fixed by SPEC section 3."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/bot.db"

# Values people paste from examples without changing them; running with one of these would
# reach Telegram with a token that cannot work or leave the webhook guarded by a public secret.
_PLACEHOLDERS = {"", "changeme", "change-me", "your-token-here", "<token>", "xxx", "secret"}


class Settings(BaseSettings):
    """Everything the bot reads from its environment, in one place."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = Field(default=None, validation_alias="BOT_TOKEN")
    telegram_base_url: str = Field(default=DEFAULT_BASE_URL, validation_alias="TELEGRAM_BASE_URL")
    database_url: str = Field(default=DEFAULT_DATABASE_URL, validation_alias="DATABASE_URL")
    conference_tz: str = Field(default="America/Costa_Rica", validation_alias="CONFERENCE_TZ")
    webhook_url: str | None = Field(default=None, validation_alias="WEBHOOK_URL")
    webhook_secret: SecretStr | None = Field(default=None, validation_alias="WEBHOOK_SECRET")
    # Where the webhook server listens (the public WEBHOOK_URL usually sits behind a proxy).
    webhook_listen: str = Field(default="0.0.0.0", validation_alias="WEBHOOK_LISTEN")  # noqa: S104
    webhook_port: int = Field(default=8443, validation_alias="WEBHOOK_PORT")
    # Official records (documents the TS sends) are kept here, by checksum (SPEC section 4).
    documents_dir: Path = Field(default=Path("data/documents"), validation_alias="DOCUMENTS_DIR")
    # Which member states ship as the default data set: a JSON file (bot/data/states_rcm.json).
    states_file: Path | None = Field(default=None, validation_alias="STATES_FILE")
    # Touched by the running bot; `python -m bot health` (the Docker health check) reads it.
    heartbeat_file: Path = Field(default=Path("data/heartbeat"), validation_alias="HEARTBEAT_FILE")
    default_language: str = Field(default="en", validation_alias="DEFAULT_LANGUAGE")
    # Telegram's flood limits (SPEC section 4); the sender paces itself to these.
    send_rate_per_second: float = Field(default=30.0, validation_alias="SEND_RATE_PER_SECOND")
    send_chat_interval_seconds: float = Field(
        default=1.0, validation_alias="SEND_CHAT_INTERVAL_SECONDS"
    )
    # Seconds to wait for Telegram to answer a call before treating it as a network failure.
    telegram_timeout: float = Field(default=10.0, validation_alias="TELEGRAM_TIMEOUT")
    # How many updates are handled at once (one person's updates are always in order).
    update_concurrency: int = Field(default=8, validation_alias="UPDATE_CONCURRENCY")
    invitation_days_valid: int = Field(default=7, validation_alias="INVITATION_DAYS_VALID")
    # SPEC 2.5: survey results are shown on request only once this many states have answered,
    # so that no answer can be traced to a state.
    survey_min_responses: int = Field(default=3, ge=1, validation_alias="SURVEY_MIN_RESPONSES")
    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    log_json: bool = Field(default=False, validation_alias="LOG_JSON")

    @field_validator("conference_tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("bot_token", "webhook_secret")
    @classmethod
    def _no_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().strip().lower() in _PLACEHOLDERS:
            raise ValueError("is a placeholder; set a real value or leave it unset")
        return value

    @field_validator("default_language")
    @classmethod
    def _supported_language(cls, value: str) -> str:
        if value not in ("en", "es"):
            raise ValueError("must be 'en' or 'es'")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.conference_tz)

    @property
    def telegram_file_url(self) -> str:
        """Where files are downloaded: Telegram serves them under `/file/bot<token>/`."""
        base = self.telegram_base_url.rstrip("/")
        if base.endswith("/bot"):
            return base[: -len("/bot")] + "/file/bot"
        return base + "/file/bot"

    @property
    def webhook_mode(self) -> bool:
        return bool(self.webhook_url)

    def describe(self) -> dict[str, str]:
        """What the bot is connected to, safe to print: no token, no password."""
        return {
            "telegram": self.telegram_base_url,
            "database": redact_url(self.database_url),
            "mode": f"webhook {self.webhook_url}" if self.webhook_mode else "long polling",
            "time zone": self.conference_tz,
        }


def redact_url(url: str) -> str:
    """Hide the password of a database URL."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparsable database url>"
