"""Core: settings, ids, clock, money, errors and domain types; imports nothing else of laotie."""
