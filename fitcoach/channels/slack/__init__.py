"""Slack channel: slack-bolt (async) in front, neutral messages to the conversation service.

Modules: ``events`` (Slack payloads → neutral messages), ``render`` (OutboundMessage → Block
Kit), ``files`` (user images, downloaded with the bot token), ``delivery`` (Web API calls),
``listeners`` (bolt handlers), ``channel`` (the running channel and its lifetime)."""

from fitcoach.channels.slack.channel import SlackChannel, open_slack_channel
from fitcoach.channels.slack.events import CHANNEL

__all__ = ["CHANNEL", "SlackChannel", "open_slack_channel"]
