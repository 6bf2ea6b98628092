"""Settings: environment variables (and a `.env` file), names fixed by SPEC section 3."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/bot.db"

# Values people paste from examples without changing them; running with one of these would
# reach Telegram with a token that cannot work or leave the webhook guarded by a public secret.
_PLACEHOLDERS = {"", "changeme", "change-me", "your-token-here", "<token>", "xxx", "secret"}


class Settings(BaseSettings):
    """Everything the bot reads from its environment, in one place."""

    # An empty `NAME=` (as in .env.example) means unset, not an empty value.
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

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
    # The scheduler (schedules/): a safety tick besides the wake-up at each deadline's moment.
    deadline_safety_tick_seconds: float = Field(
        default=60.0, gt=0, validation_alias="DEADLINE_SAFETY_TICK_SECONDS"
    )
    # Automatic openings and notices (the Coordinator's contract, the PPT reminders) go out at
    # this hour of the conference time zone, not at midnight.
    notice_hour: int = Field(default=9, ge=0, le=23, validation_alias="NOTICE_HOUR")
    # The Coordinator's contract (SPEC 2.7, 000_80de73a49c3b69ea.txt), in days before the end
    # of a contract year: the performance survey opens and closes, the extension vote ends.
    contract_survey_opens_days: int = Field(
        default=60, gt=0, validation_alias="CONTRACT_SURVEY_OPENS_DAYS"
    )
    contract_survey_closes_days: int = Field(
        default=30, gt=0, validation_alias="CONTRACT_SURVEY_CLOSES_DAYS"
    )
    contract_vote_deadline_days: int = Field(
        default=14, gt=0, validation_alias="CONTRACT_VOTE_DEADLINE_DAYS"
    )
    # Days before the last day of a contract year on which the TS is reminded to record the
    # outcome of the extension vote.
    contract_decision_reminder_days: list[int] = Field(
        default=[7, 3, 1], validation_alias="CONTRACT_DECISION_REMINDER_DAYS"
    )
    # An interim Coordinator: "up to six months ... never more than 12 consecutive months",
    # with warnings this many days before each limit.
    contract_interim_warning_months: int = Field(
        default=6, gt=0, validation_alias="CONTRACT_INTERIM_WARNING_MONTHS"
    )
    contract_interim_limit_months: int = Field(
        default=12, gt=0, validation_alias="CONTRACT_INTERIM_LIMIT_MONTHS"
    )
    contract_interim_warn_days: list[int] = Field(
        default=[30, 7], validation_alias="CONTRACT_INTERIM_WARN_DAYS"
    )
    # "A minimum of 30 days notice of his/her resignation".
    contract_resignation_notice_days: int = Field(
        default=30, gt=0, validation_alias="CONTRACT_RESIGNATION_NOTICE_DAYS"
    )
    # Once the Vice-Ministers are told the vacancy must be announced, the TS has this many
    # days to post it (reminded until it says it has).
    contract_vacancy_announce_days: int = Field(
        default=7, gt=0, validation_alias="CONTRACT_VACANCY_ANNOUNCE_DAYS"
    )
    # Days before 1 November on which the TS is reminded to set the incoming PPT.
    ppt_reminder_days: list[int] = Field(default=[31, 14, 3], validation_alias="PPT_REMINDER_DAYS")
    # Several replicas: followers try to take the lead this often, and the leader checks that
    # it still holds it (bot.leader); failover takes at most about this long.
    leader_retry_seconds: float = Field(default=10.0, gt=0, validation_alias="LEADER_RETRY_SECONDS")
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

    @field_validator(
        "contract_interim_warn_days", "contract_decision_reminder_days", "ppt_reminder_days"
    )
    @classmethod
    def _positive_days(cls, value: list[int]) -> list[int]:
        if any(day <= 0 for day in value):
            raise ValueError("every number of days must be positive")
        return sorted(set(value), reverse=True)

    @model_validator(mode="after")
    def _contract_order(self) -> Settings:
        # The survey opens before it closes, and the vote it leads to ends before the year does.
        if not (
            self.contract_survey_opens_days
            > self.contract_survey_closes_days
            > self.contract_vote_deadline_days
        ):
            raise ValueError(
                "contract offsets must satisfy CONTRACT_SURVEY_OPENS_DAYS > "
                "CONTRACT_SURVEY_CLOSES_DAYS > CONTRACT_VOTE_DEADLINE_DAYS"
            )
        if self.contract_interim_warning_months >= self.contract_interim_limit_months:
            raise ValueError(
                "CONTRACT_INTERIM_WARNING_MONTHS must be less than CONTRACT_INTERIM_LIMIT_MONTHS"
            )
        return self

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
