"""Configuration: YAML validated by frozen pydantic models; secrets from the environment."""

from bot.config.errors import ConfigError, ConfigProblem
from bot.config.loader import load_config, parse_config
from bot.config.models import HedgebotConfig

__all__ = ["ConfigError", "ConfigProblem", "HedgebotConfig", "load_config", "parse_config"]
