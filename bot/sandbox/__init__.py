"""A local Telegram Bot API server with simulated people, for tests and the demo.

Typical use::

    server = BotApiServer()
    await server.start()
    server.add_bot("123456:TEST")
    bot = telegram.Bot("123456:TEST", base_url=server.base_url,
                       base_file_url=server.base_file_url)
    ana = server.user("ana", lang="es")
    await ana.send("/start")
"""

from bot.sandbox.errors import ApiError
from bot.sandbox.faults import FaultInjector, InjectedFault
from bot.sandbox.files import StoredFile
from bot.sandbox.limits import Limits
from bot.sandbox.markup import Entity, FormattedText
from bot.sandbox.models import (
    BotCommandEntry,
    Button,
    CallbackAnswer,
    ChatMessage,
    MessageEdit,
    UserInfo,
)
from bot.sandbox.server import BotApiServer, ServerStats
from bot.sandbox.state import SimBot
from bot.sandbox.users import SimGroup, SimUser

__all__ = [
    "ApiError",
    "BotApiServer",
    "BotCommandEntry",
    "Button",
    "CallbackAnswer",
    "ChatMessage",
    "Entity",
    "FaultInjector",
    "FormattedText",
    "InjectedFault",
    "Limits",
    "MessageEdit",
    "ServerStats",
    "SimBot",
    "SimGroup",
    "SimUser",
    "StoredFile",
    "UserInfo",
]
