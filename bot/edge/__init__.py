"""The Teams edge's parts that import no SDK: what the bot does with each activity (turns), the
proactive channel and its connector session, and the choice of SDK (choice). The SDK edges
themselves are bot/teams/ (botbuilder) and bot/agents_sdk/ (the Microsoft 365 Agents SDK)."""
