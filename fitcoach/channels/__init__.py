"""Channel adapters: platform traffic ⇄ neutral messages. Never imports the agent."""
