"""The platform under every feature: configuration, database, accounts, jobs, messaging,
telephony, phone numbers, logging. It imports no feature."""
