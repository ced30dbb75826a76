"""Operator commands from Telegram: the bot's allowed chats ask for /status, /pause, /resume,
/flatten (confirmed) and /guard; the daemon answers in the chat and journals each command."""
