"""Configuration: YAML validated by frozen pydantic models; secrets from the environment."""

from bot.config.loader import ConfigError, ConfigProblem, load_config, parse_config
from bot.config.models import HedgebotConfig

__all__ = ["ConfigError", "ConfigProblem", "HedgebotConfig", "load_config", "parse_config"]
