"""``hedgebot demo``: the whole system (chain, exchange, daemon, liquidator) through a scripted
crash, watched live, summed up in a table and a chart."""

from bot.demo.runner import DemoResult, run_demo
from bot.demo.stack import DemoSettings

__all__ = ["DemoResult", "DemoSettings", "run_demo"]
