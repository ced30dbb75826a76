"""The command listener of the one ``alerts.telegram`` entry with ``commands.enabled``, on the
same bot (token) its alerts use, in the daemon's trading mode."""

from __future__ import annotations

import httpx

from bot.config.models import HedgebotConfig
from bot.config.secrets import SecretError, read_secret
from bot.daemon.telegram.api import DEFAULT_API_BASE, BotApi, bot_id
from bot.daemon.telegram.listener import CommandListener, ListenerSettings
from bot.daemon.telegram.operator import DaemonOperator, Operator
from bot.daemon.wiring import journal_for


def config_urls(config: HedgebotConfig) -> list[str]:
    """URLs whose credentials a failed command's message must not repeat."""
    urls = [str(u) for p in config.positions for u in p.rpc_urls] + [config.journal.url]
    return urls + ([str(config.exchange_base_url)] if config.exchange_base_url else [])


def command_listener(
    config: HedgebotConfig,
    *,
    dry_run: bool,
    live: bool,
    operator: Operator | None = None,
    api_base: str = DEFAULT_API_BASE,
    transport: httpx.BaseTransport | None = None,
    first_backoff_secs: float = 1.0,
) -> CommandListener | None:
    """None when no Telegram entry takes commands."""
    entries = [(n, t) for n, t in enumerate(config.alerts.telegram) if t.commands.enabled]
    if not entries:
        return None
    n, entry = entries[0]
    secret = read_secret(entry.token_env)
    if secret is None:
        raise SecretError(
            f"alerts.telegram.{n}.commands: environment variable {entry.token_env} is not set"
        )
    token, commands = secret.reveal(), entry.commands
    api = BotApi(
        token, api_base=api_base, poll_timeout_secs=commands.poll_timeout_secs, transport=transport
    )
    return CommandListener(
        api,
        bot_id=bot_id(token),
        operator=operator or DaemonOperator(config, dry_run=dry_run, live=live),
        journal=journal_for(config),
        settings=ListenerSettings(
            allowed_chat_ids=frozenset(commands.allowed_chat_ids),
            confirm_secs=commands.confirm_secs,
            max_command_age_secs=commands.max_command_age_secs,
            first_backoff_secs=first_backoff_secs,
        ),
        secret_urls=config_urls(config),
    )
